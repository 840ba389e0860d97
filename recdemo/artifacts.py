"""The artifact store: one folder per trained model, written atomically, verified on load.

`<root>/<dataset>/<model>/` holds

- `model.weights.h5`: the weights (no pickles),
- `config.json`: model key + `get_config()` hyperparameters + training settings, enough to
  rebuild the model without any training code,
- `history.json`: per-epoch train loss, validation loss, validation HR@10 / NDCG@10,
- `metrics.json`: validation and test metrics, most-popular on the same split, per-seed runs,
- `provenance.json`: seed, wall time, device, library versions, data sha256, git commit,
- `manifest.json`: the sha256 of every file above, checked on every load.

A folder is built under a temporary name beside its destination and renamed into place, so a
crash mid-write never leaves a half artifact and a reader never sees one.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import shutil
import subprocess
import uuid
from importlib import metadata
from pathlib import Path

from recdemo import RecdemoError
from recdemo.data import Dataset, sha256_of
from recdemo.models import MODELS, RetrievalModel
from recdemo.training import TrainResult, build_from_config

WEIGHTS_FILE = "model.weights.h5"
JSON_FILES = ("config.json", "history.json", "metrics.json", "provenance.json")
MANIFEST_FILE = "manifest.json"
DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "artifacts"
_LIBRARIES = ("keras", "keras-rs", "keras-hub", "jax", "jaxlib", "numpy")


def artifact_dir(model_key: str, dataset_name: str = "ml-100k",
                 root: str | os.PathLike | None = None) -> Path:
    """`<root>/<dataset>/<model>`; root defaults to `$RECDEMO_ARTIFACTS_DIR`, else the shipped
    `artifacts/` folder."""
    root = root or os.environ.get("RECDEMO_ARTIFACTS_DIR") or DEFAULT_ROOT
    return Path(root) / dataset_name / model_key


def training_device() -> str:
    """The device JAX computes on, e.g. `cpu (TFRT_CPU_0)` or `gpu (NVIDIA A100)`."""
    import jax

    device = jax.devices()[0]
    return f"{device.platform} ({getattr(device, 'device_kind', str(device))})"


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).parent, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def provenance(dataset: Dataset, result: TrainResult, seed: int) -> dict:
    """Where a trained model came from: data, code, libraries, device, time."""
    return {
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "wall_seconds": round(result.wall_seconds, 1),
        "epochs_run": len(result.history),
        "best_epoch": result.best_epoch,
        "device": training_device(),
        "libraries": {name: metadata.version(name) for name in _LIBRARIES},
        "dataset": dataset.name,
        "data_sha256": dataset.file_checksums(),
        "git_commit": _git_commit(),
    }


def save(result: TrainResult, destination: str | os.PathLike, *, model_key: str,
         train_config: dict, metrics: dict, provenance_info: dict) -> Path:
    """Write one artifact folder atomically (temp folder + rename), replacing any old one.

    Returns:
        The destination folder.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = destination.parent / f".{destination.name}.tmp-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        result.model.save_weights(staging / WEIGHTS_FILE)
        documents = {
            "config.json": {"model": model_key, "config": result.model.get_config(),
                            "train": train_config},
            "history.json": [dataclasses.asdict(log) for log in result.history],
            "metrics.json": metrics,
            "provenance.json": provenance_info,
        }
        for name, document in documents.items():
            (staging / name).write_text(json.dumps(document, indent=2) + "\n")
        manifest = {name: sha256_of(staging / name) for name in (WEIGHTS_FILE, *JSON_FILES)}
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
        _swap_into_place(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return destination


def _swap_into_place(staging: Path, destination: Path) -> None:
    retired = destination.parent / f".{destination.name}.old-{uuid.uuid4().hex[:8]}"
    if destination.exists():
        os.replace(destination, retired)
    os.replace(staging, destination)
    shutil.rmtree(retired, ignore_errors=True)


def read_json(folder: str | os.PathLike, name: str) -> dict | list:
    """One JSON document of an artifact folder (RecdemoError if missing or unreadable)."""
    path = Path(folder) / name
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise RecdemoError(f"Missing artifact file {path}: train the model first "
                           f"(python -m recdemo train).") from None
    except (OSError, ValueError) as exc:
        raise RecdemoError(f"Unreadable artifact file {path}: {exc}.") from None


def verify(folder: str | os.PathLike) -> dict:
    """Check every file of an artifact against its manifest.

    Returns:
        The manifest.

    Raises:
        RecdemoError: a missing folder, manifest or file, or a checksum mismatch.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise RecdemoError(f"No artifact at {folder}: train it with "
                           f"`python -m recdemo train --model {folder.name}`.")
    manifest = read_json(folder, MANIFEST_FILE)
    for name in (WEIGHTS_FILE, *JSON_FILES):
        if name not in manifest:
            raise RecdemoError(f"Artifact {folder} is corrupted: its manifest omits {name}.")
        if not (folder / name).is_file():
            raise RecdemoError(f"Artifact {folder} is incomplete: {name} is missing.")
        if sha256_of(folder / name) != manifest[name]:
            raise RecdemoError(f"Artifact {folder} is corrupted: {name} does not match its "
                               f"checksum. Restore it (git checkout) or retrain.")
    return manifest


def load_model(folder: str | os.PathLike) -> tuple[str, RetrievalModel]:
    """Verify an artifact and rebuild its model from `config.json` + weights.

    Returns:
        `(model_key, model)`.
    """
    folder = Path(folder)
    verify(folder)
    config = read_json(folder, "config.json")
    model_key = config.get("model")
    if model_key not in MODELS:
        raise RecdemoError(f"Artifact {folder} names an unknown model {model_key!r}.")
    try:
        model = MODELS[model_key].from_config(config["config"])
        build_from_config(model)
        model.load_weights(folder / WEIGHTS_FILE)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise RecdemoError(f"Artifact {folder} cannot be loaded: {exc}.") from None
    return model_key, model
