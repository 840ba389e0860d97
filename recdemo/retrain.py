"""Background retraining for the dashboard: one run at a time across sessions and processes.

A run is a child process (`python -m recdemo.retrain`) that trains a *separate* model and
writes into its own folder under the runs root (not tracked by git):

- `request.json`: what was asked,
- `progress.json`: status, epoch x/N and the per-epoch log, rewritten atomically each epoch,
- `artifact/`: the finished model, in the shipped artifact format, written atomically.

The single-run rule is an exclusive `flock` on `<runs>/.lock`: the parent takes it without
blocking (a second request is refused at once) and hands the locked descriptor to the child,
so the lock lives exactly as long as the training process, even if the tab closes or the app
restarts, and vanishes with a crashed child. Shipped artifacts are never written here.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import fcntl
import json
import os
import subprocess
import sys
import traceback
import uuid
from pathlib import Path

from recdemo import RecdemoError

LOCK_FILE = ".lock"
DEFAULT_RUNS = Path(__file__).resolve().parent.parent / "runs"


def runs_root() -> Path:
    """Where runs live: `$RECDEMO_RUNS_DIR` or `runs/` beside the package."""
    return Path(os.environ.get("RECDEMO_RUNS_DIR", DEFAULT_RUNS))


def write_json_atomically(path: Path, document) -> None:
    """Write JSON to a temp file in the same folder and rename it over `path`."""
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    staging.write_text(json.dumps(document, indent=2))
    os.replace(staging, path)


def _try_lock(root: Path) -> int | None:
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def training_in_progress(root: Path | None = None) -> bool:
    """Whether some process (any session, any app instance) is training now."""
    fd = _try_lock(root or runs_root())
    if fd is None:
        return True
    os.close(fd)
    return False


def start(model_key: str, dataset_name: str, *, epochs: int, learning_rate: float,
          embedding_dim: int, data_dir: str | None = None, root: Path | None = None) -> Path:
    """Start a background training run.

    Returns:
        The run folder (poll it with `read_progress`).

    Raises:
        RecdemoError: another training run is in progress.
    """
    root = root or runs_root()
    fd = _try_lock(root)
    if fd is None:
        raise RecdemoError("Another training run is in progress; wait for it to finish.")
    try:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = root / f"{stamp}-{model_key}-{uuid.uuid4().hex[:6]}"
        folder.mkdir()
        request = {"model": model_key, "dataset": dataset_name, "epochs": epochs,
                   "learning_rate": learning_rate, "embedding_dim": embedding_dim,
                   "data_dir": data_dir}
        write_json_atomically(folder / "request.json", request)
        write_json_atomically(folder / "progress.json",
                              {"status": "starting", "epoch": 0, "epochs": epochs, "history": []})
        log = open(folder / "train.log", "wb")
        # The child inherits the locked descriptor (pass_fds) and holds it until it exits.
        subprocess.Popen([sys.executable, "-m", "recdemo.retrain", str(folder)],
                         pass_fds=(fd,), stdout=log,
                         stderr=subprocess.STDOUT, start_new_session=True,
                         cwd=Path(__file__).resolve().parent.parent)
        log.close()
    finally:
        os.close(fd)  # The child holds its own copy of the locked descriptor.
    return folder


def read_request(folder: Path) -> dict:
    """What a run was asked to do (`request.json`)."""
    return json.loads((Path(folder) / "request.json").read_text())


def read_progress(folder: Path) -> dict:
    """The run's latest progress document (a dead child shows as `failed`)."""
    try:
        progress = json.loads((Path(folder) / "progress.json").read_text())
    except (OSError, ValueError):
        return {"status": "failed", "error": "The run's progress file is missing.",
                "history": [], "epoch": 0, "epochs": 0}
    if progress["status"] in ("starting", "running") and not training_in_progress(
            Path(folder).parent):
        # Nobody holds the lock, yet the run never said it finished: the child died.
        progress = {**progress, "status": "failed",
                    "error": "The training process stopped unexpectedly (see train.log)."}
    return progress


def list_finished(root: Path | None = None, dataset_name: str | None = None) -> list[Path]:
    """Finished run folders, newest first."""
    root = root or runs_root()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir(), reverse=True):
        if (folder / "artifact" / "manifest.json").is_file():
            request = read_request(folder)
            if dataset_name in (None, request["dataset"]):
                found.append(folder)
    return found


def _run(folder: Path) -> None:
    from recdemo.serving import load_data
    from recdemo.train_run import train_and_save

    request = read_request(folder)
    progress = {"status": "running", "epoch": 0, "epochs": request["epochs"], "history": [],
                "model": request["model"]}
    write_json_atomically(folder / "progress.json", progress)

    def on_epoch(log, total):
        progress["epoch"] = log.epoch
        progress["history"].append(dataclasses.asdict(log))
        write_json_atomically(folder / "progress.json", progress)

    dataset, split = load_data(request["dataset"], request["data_dir"])
    train_and_save(request["model"], dataset, split, preset_name="quick", seeds=[0],
                   model_overrides={"embedding_dim": request["embedding_dim"]},
                   train_overrides={"epochs": request["epochs"],
                                    "learning_rate": request["learning_rate"]},
                   on_epoch=on_epoch, destination=folder / "artifact")
    write_json_atomically(folder / "progress.json", {**progress, "status": "done"})


def main(argv: list[str] | None = None) -> int:
    """Child entry point: train the run in `folder`, holding the inherited lock until exit."""
    parser = argparse.ArgumentParser(prog="python -m recdemo.retrain")
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    try:
        _run(args.folder)
    except Exception as exc:  # noqa: BLE001 - any failure must end in a readable status
        traceback.print_exc()
        progress = json.loads((args.folder / "progress.json").read_text())
        write_json_atomically(args.folder / "progress.json",
                              {**progress, "status": "failed", "error": str(exc)})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
