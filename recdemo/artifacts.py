"""The artifact store: one folder per trained model, switched atomically, verified on load.

An artifact holds

- `model.weights.h5`: the weights (no pickles),
- `config.json`: model key + `get_config()` hyperparameters + training settings, enough to
  rebuild the model with `recdemo.models` alone (no training code is imported here),
- `history.json`: per-epoch train loss, validation loss, validation HR@10 / NDCG@10,
- `metrics.json`: validation and test metrics, most-popular on the same split, per-seed runs,
- `provenance.json`: seed, wall time, device, library versions, data sha256, git commit
  (`recdemo.provenance`),
- `lists.npz` (optional): every user's top-10 as served, for the first view
  (`recdemo.stored_lists`),
- `manifest.json`: the sha256 of every file above, checked on every load.

Layout: `<root>/<dataset>/<name>` is a symbolic link to an immutable version folder
`<root>/<dataset>/.versions/<name>@<stamp>`. Saving writes and fsyncs a new version, then
replaces the link with `os.replace` (one atomic rename): a reader sees the old artifact or the new
one, never a gap, and a kill at any moment leaves the previous artifact loadable. Only versions of
the artifact being replaced are ever deleted (all but the current and the previous one, so a
reader that resolved the link just before the switch can finish). Names are plain identifiers:
a name can never point outside its dataset folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from recdemo import RecdemoError
from recdemo.dataset import Dataset, sha256_of
from recdemo.models import MODELS
from recdemo.validation import check_name

if TYPE_CHECKING:
    from recdemo.models.base import RetrievalModel

WEIGHTS_FILE = "model.weights.h5"
JSON_FILES = ("config.json", "history.json", "metrics.json", "provenance.json")
LISTS_FILE = "lists.npz"
MANIFEST_FILE = "manifest.json"
VERSIONS_DIR = ".versions"
DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "artifacts"


def artifact_dir(name: str, dataset_name: str = "ml-100k",
                 root: str | os.PathLike | None = None) -> Path:
    """`<root>/<dataset>/<name>`; root defaults to `$RECDEMO_ARTIFACTS_DIR`, else the shipped
    `artifacts/` folder. Both `name` and `dataset_name` must be plain identifiers."""
    root = root or os.environ.get("RECDEMO_ARTIFACTS_DIR") or DEFAULT_ROOT
    return Path(root) / check_name(dataset_name, "dataset name") / check_name(name)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(model: RetrievalModel, destination: str | os.PathLike, *, model_key: str,
         train_config: dict, history: list, metrics: dict, provenance_info: dict,
         lists: bytes | None = None) -> Path:
    """Write a new version of an artifact and switch `destination` to it atomically.

    Args:
        model: the trained, built model.
        destination: the artifact path (`artifact_dir(...)`, or a run's `artifact` folder);
            its last component must be a plain identifier.
        model_key: the `recdemo.models.MODELS` key that rebuilds it.
        train_config: the training settings to record.
        history: per-epoch logs (dataclasses or dicts).
        metrics, provenance_info: the documents to record.
        lists: the optional `lists.npz` bytes (`recdemo.stored_lists`).

    Returns:
        The destination path (a link to the new version).

    Raises:
        RecdemoError: the destination is a plain file, or its name is not an identifier.
    """
    destination = Path(destination)
    check_name(destination.name)
    if destination.exists() and not destination.is_dir():
        raise RecdemoError(f"{destination} exists and is not an artifact: not replacing it.")
    store = destination.parent / VERSIONS_DIR
    store.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    version = store / f"{destination.name}@{stamp}-{uuid.uuid4().hex[:8]}"
    staging = store / f".{version.name}.tmp"
    staging.mkdir()
    try:
        model.save_weights(staging / WEIGHTS_FILE)
        documents = {
            "config.json": {"model": model_key, "config": model.get_config(),
                            "train": train_config},
            "history.json": [dataclasses.asdict(log) if dataclasses.is_dataclass(log) else log
                             for log in history],
            "metrics.json": metrics,
            "provenance.json": provenance_info,
        }
        for name, document in documents.items():
            (staging / name).write_text(json.dumps(document, indent=2) + "\n")
        if lists is not None:
            (staging / LISTS_FILE).write_bytes(lists)
        manifest = {name: sha256_of(staging / name)
                    for name in (WEIGHTS_FILE, *JSON_FILES, LISTS_FILE)
                    if (staging / name).is_file()}
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
        for path in staging.iterdir():
            _fsync(path)
        _fsync(staging)
        os.rename(staging, version)
        _fsync(store)
        _switch(destination, version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _prune(destination, store)
    return destination


def _switch(destination: Path, version: Path) -> None:
    """Point `destination` at `version` with one atomic rename of a fresh symbolic link."""
    link = destination.parent / f".{destination.name}.link-{uuid.uuid4().hex[:8]}"
    os.symlink(Path(VERSIONS_DIR) / version.name, link)
    try:
        if destination.is_dir() and not destination.is_symlink():
            # A plain folder from an older recdemo: file it as a version first. This is the one
            # non-atomic step (a rename can replace a link but not a folder), taken only once.
            os.rename(destination, version.parent / f"{destination.name}@legacy-"
                                                    f"{uuid.uuid4().hex[:8]}")
        os.replace(link, destination)
    except BaseException:
        link.unlink(missing_ok=True)
        raise
    _fsync(destination.parent)


def _prune(destination: Path, store: Path) -> None:
    """Delete this artifact's versions but the current one and the one before it."""
    current = destination.resolve().name
    versions = sorted(store.glob(f"{destination.name}@*"), key=lambda p: p.stat().st_mtime,
                      reverse=True)
    older = [v for v in versions if v.name != current]
    for stale in older[1:]:
        shutil.rmtree(stale, ignore_errors=True)


def resolve(folder: str | os.PathLike) -> Path:
    """The immutable version folder an artifact path points at (a plain folder is itself).

    Read every file of one load through this path, so a concurrent switch cannot mix versions.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise RecdemoError(f"No artifact at {folder}: train it with "
                           f"`python -m recdemo train --model {folder.name}`.")
    return folder.resolve()


def read_json(folder: str | os.PathLike, name: str, expect: type = object):
    """One JSON document of an artifact folder.

    Raises:
        RecdemoError: missing, unreadable, not JSON, or not of the `expect`ed type.
    """
    path = Path(folder) / name
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise RecdemoError(f"Missing artifact file {path}: train the model first "
                           f"(python -m recdemo train).") from None
    except (OSError, ValueError) as exc:
        raise RecdemoError(f"Unreadable artifact file {path}: {exc}.") from None
    if not isinstance(document, expect):
        raise RecdemoError(f"Malformed artifact file {path}: expected a JSON "
                           f"{'object' if expect is dict else 'array'}.")
    return document


def was_refitted(folder: str | os.PathLike, metrics: dict) -> bool:
    """Whether the artifact's saved seed was refitted on train + validation (its
    `metrics.json` run says so), so its validation metrics are those recorded before."""
    seed = read_json(folder, "provenance.json", dict).get("seed")
    return any(isinstance(run, dict) and run.get("seed") == seed and run.get("refit")
               for run in metrics.get("seeds", []))


def verify(folder: str | os.PathLike) -> dict:
    """Check every file of an artifact against its manifest.

    Returns:
        The manifest.

    Raises:
        RecdemoError: a missing folder, manifest or file, a malformed manifest, or a checksum
            mismatch.
    """
    folder = resolve(folder)
    manifest = read_json(folder, MANIFEST_FILE, dict)
    for name in (WEIGHTS_FILE, *JSON_FILES, *([LISTS_FILE] if LISTS_FILE in manifest else [])):
        _check_file(folder, manifest, name)
    return manifest


def _check_file(folder: Path, manifest: dict, name: str) -> None:
    if not isinstance(manifest.get(name), str):
        raise RecdemoError(f"Artifact {folder} is corrupted: its manifest omits {name}.")
    if not (folder / name).is_file():
        raise RecdemoError(f"Artifact {folder} is incomplete: {name} is missing.")
    if sha256_of(folder / name) != manifest[name]:
        raise RecdemoError(f"Artifact {folder} is corrupted: {name} does not match its "
                           f"checksum. Restore it (git checkout) or retrain.")


def check_trained_on(folder: str | os.PathLike, dataset: Dataset) -> None:
    """Raise RecdemoError unless the artifact was trained on exactly these data files (the
    sha256s its provenance records): an artifact from other data can have the same item count
    yet map ids to other movies, or lack a user."""
    provenance = read_json(folder, "provenance.json", dict)
    recorded = provenance.get("data_sha256")
    if recorded != dataset.file_checksums():
        raise RecdemoError(
            f"Artifact {folder} was trained on other data than the {dataset.name} files in "
            f"{dataset.directory} (their sha256 differ): retrain it on these files.")


def manifest_digest(folder: str | os.PathLike) -> str:
    """The sha256 of an artifact's manifest: changes whenever any file of the artifact does,
    so it keys caches of loaded models and documents."""
    path = resolve(folder) / MANIFEST_FILE
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise RecdemoError(f"Unreadable artifact file {path}: {exc.strerror}.") from None


def load_model(folder: str | os.PathLike) -> tuple[str, RetrievalModel]:
    """Verify an artifact and rebuild its model from `config.json` + weights.

    Returns:
        `(model_key, model)`.

    Raises:
        RecdemoError: anything wrong with the artifact (every file is untrusted input).
    """
    folder = resolve(folder)
    verify(folder)
    config = read_json(folder, "config.json", dict)
    model_key = config.get("model")
    if not isinstance(model_key, str) or model_key not in MODELS:
        raise RecdemoError(f"Artifact {folder} names an unknown model {model_key!r}.")
    if not isinstance(config.get("config"), dict):
        raise RecdemoError(f"Artifact {folder} has no model hyperparameters in config.json.")
    try:
        model = MODELS[model_key].built_for_weights(config["config"])
        model.load_weights(folder / WEIGHTS_FILE)
        model.initialise_unloaded()
    except Exception as exc:  # noqa: BLE001 - a hostile config can fail in any constructor
        first_line = next((line for line in str(exc).splitlines() if line.strip()), "")
        raise RecdemoError(f"Artifact {folder} cannot be loaded (config.json does not match "
                           f"the weights, or is invalid): {exc.__class__.__name__}: "
                           f"{first_line[:200]}".rstrip(".:") + ".") from None
    return model_key, model
