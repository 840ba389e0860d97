"""Background retraining for the dashboard: one run at a time across sessions and processes.

A run is a child process (`python -m recdemo.retrain`) that trains a *separate* model and
writes into its own folder under the runs root (not tracked by git):

- `request.json`: what was asked,
- `progress.json`: status, phase, epoch x/N, timings and the per-epoch log, rewritten
  atomically whenever one of them changes,
- `artifact`: the finished model, in the shipped artifact format (`recdemo.artifacts`).

Locks (`flock`, so they vanish with a crashed process):

- each run's `.alive` lock is taken by the parent and inherited by the child, which holds it
  until it exits. "Is this run alive?" tries a *shared* lock on it and never touches any other
  run, so a dead run always reads as dead, whatever else is running;
- `<runs>/.start` serialises starts for a few milliseconds (blocking, so it never refuses a
  legitimate start): under it, a start checks that no run is alive and spawns its child.

Shipped artifacts are never written here. At most `MAX_KEPT_RUNS` finished runs are kept.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
import uuid
from pathlib import Path

from recdemo import RecdemoError

ALIVE_LOCK = ".alive"
START_LOCK = ".start"
CANCEL_FILE = ".cancel"
MAX_KEPT_RUNS = 10
ACTIVE = ("starting", "running")
DEFAULT_RUNS = Path(__file__).resolve().parent.parent / "runs"


def runs_root() -> Path:
    """Where runs live: `$RECDEMO_RUNS_DIR` or `runs/` beside the package."""
    return Path(os.environ.get("RECDEMO_RUNS_DIR", DEFAULT_RUNS))


def write_json_atomically(path: Path, document) -> None:
    """Write JSON to a temp file in the same folder and rename it over `path`."""
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    staging.write_text(json.dumps(document, indent=2))
    os.replace(staging, path)


def run_alive(folder: Path) -> bool:
    """Whether the run's training process is still running (it holds the `.alive` lock)."""
    try:
        fd = os.open(Path(folder) / ALIVE_LOCK, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _run_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  reverse=True)


def running_run(root: Path | None = None) -> Path | None:
    """The folder of the run that is training now, if any (any session, any app instance)."""
    return next((f for f in _run_folders(root or runs_root()) if run_alive(f)), None)


def training_in_progress(root: Path | None = None) -> bool:
    """Whether some process is training now."""
    return running_run(root) is not None


def start(model_key: str, dataset_name: str, *, epochs: int, learning_rate: float,
          embedding_dim: int, data_dir: str | None = None, root: Path | None = None) -> Path:
    """Start a background training run.

    Returns:
        The run folder (poll it with `read_progress`).

    Raises:
        RecdemoError: another training run is in progress.
    """
    root = root or runs_root()
    root.mkdir(parents=True, exist_ok=True)
    start_fd = os.open(root / START_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(start_fd, fcntl.LOCK_EX)
        if training_in_progress(root):
            raise RecdemoError("Another training run is in progress; wait for it to finish.")
        _prune(root, keep=MAX_KEPT_RUNS - 1)
        return _spawn(root, {"model": model_key, "dataset": dataset_name, "epochs": epochs,
                             "learning_rate": learning_rate, "embedding_dim": embedding_dim,
                             "data_dir": data_dir})
    finally:
        os.close(start_fd)


def _spawn(root: Path, request: dict) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = root / f"{stamp}-{request['model']}-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    write_json_atomically(folder / "request.json", request)
    write_json_atomically(folder / "progress.json", {
        "status": "starting", "phase": "preparing", "epoch": 0, "epochs": request["epochs"],
        "history": [], "started_at": time.time()})
    alive_fd = os.open(folder / ALIVE_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(alive_fd, fcntl.LOCK_EX)
        with open(folder / "train.log", "wb") as log:
            # The child inherits the locked descriptor (pass_fds) and holds it until it exits.
            child = subprocess.Popen([sys.executable, "-m", "recdemo.retrain", str(folder)],
                                     pass_fds=(alive_fd,), stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     cwd=Path(__file__).resolve().parent.parent)
        (folder / "pid").write_text(str(child.pid))
    finally:
        os.close(alive_fd)  # The child holds its own copy of the locked descriptor.
    return folder


def _prune(root: Path, keep: int) -> None:
    """Delete the oldest finished runs beyond `keep` (a running run is never touched)."""
    finished = [f for f in _run_folders(root) if not run_alive(f)]
    for stale in finished[keep:]:
        shutil.rmtree(stale, ignore_errors=True)


def cancel(folder: Path) -> bool:
    """Stop a running run (its whole process group). Returns whether it was running."""
    folder = Path(folder)
    if not run_alive(folder):
        return False
    (folder / CANCEL_FILE).touch()
    try:
        os.killpg(int((folder / "pid").read_text()), signal.SIGTERM)
    except (OSError, ValueError):
        return False
    return True


def read_request(folder: Path) -> dict:
    """What a run was asked to do (`request.json`)."""
    try:
        request = json.loads((Path(folder) / "request.json").read_text())
    except (OSError, ValueError) as exc:
        raise RecdemoError(f"Run {Path(folder).name} is unreadable: {exc}.") from None
    if not isinstance(request, dict):
        raise RecdemoError(f"Run {Path(folder).name} is unreadable: request.json is malformed.")
    return request


def read_progress(folder: Path) -> dict:
    """The run's latest progress document (a dead child shows as `failed` or `cancelled`)."""
    folder = Path(folder)
    try:
        progress = json.loads((folder / "progress.json").read_text())
        progress["status"]
    except (OSError, ValueError, KeyError, TypeError):
        return {"status": "failed", "error": "The run's progress file is missing.",
                "history": [], "epoch": 0, "epochs": 0}
    if progress["status"] in ACTIVE and not run_alive(folder):
        # The process is gone, yet the run never said it finished: it ended when it was
        # cancelled, or when it last reported.
        cancelled = folder / CANCEL_FILE
        if cancelled.exists():
            progress = {**progress, "status": "cancelled",
                        "finished_at": cancelled.stat().st_mtime}
        else:
            progress = {**progress, "status": "failed",
                        "finished_at": (folder / "progress.json").stat().st_mtime,
                        "error": "The training process stopped unexpectedly (see train.log)."}
    return progress


def list_finished(root: Path | None = None, dataset_name: str | None = None) -> list[Path]:
    """Finished run folders, newest first."""
    found = []
    for folder in _run_folders(root or runs_root()):
        if (folder / "artifact" / "manifest.json").is_file():
            try:
                request = read_request(folder)
            except RecdemoError:
                continue
            if dataset_name in (None, request.get("dataset")):
                found.append(folder)
    return found


def seconds_per_epoch(history: list[dict]) -> float:
    """Seconds an epoch took, from a run's per-epoch logs (the first epoch, which also
    compiles, counts only when it is the only one)."""
    steady = history[1:] or history
    return sum(h["seconds"] for h in steady) / len(steady)


def measured_cost(model_key: str, dataset_name: str,
                  root: Path | None = None) -> tuple[float, float] | None:
    """`(seconds an epoch, seconds outside epochs)` of the newest finished run of `model_key`
    on `dataset_name` on this machine, or None when it has none: what the next run of it
    will take, measured rather than promised."""
    for folder in list_finished(root, dataset_name):
        try:
            if read_request(folder).get("model") != model_key:
                continue
        except RecdemoError:
            continue
        progress = read_progress(folder)
        history = progress.get("history") or []
        started, ended = progress.get("started_at"), progress.get("finished_at")
        if progress.get("status") != "done" or not history or not (started and ended):
            continue
        total = sum(h["seconds"] for h in history)
        return seconds_per_epoch(history), max(ended - started - total, 0.0)
    return None


def _run(folder: Path) -> None:
    from recdemo.experiment import train_and_save
    from recdemo.serving import enable_compilation_cache, load_data

    enable_compilation_cache()  # a second Retrain of a model skips compiling its step
    request = read_request(folder)
    progress = json.loads((folder / "progress.json").read_text())
    progress.update(status="running", model=request["model"])

    def update(**changes) -> None:
        progress.update(changes)
        write_json_atomically(folder / "progress.json", progress)

    def on_epoch(log, total):
        update(epoch=log.epoch, epochs=total,
               history=[*progress["history"], dataclasses.asdict(log)])

    update(phase="preparing", phase_started_at=time.time())
    dataset, split = load_data(request["dataset"], request["data_dir"], download=False)
    train_and_save(request["model"], dataset, split, preset_name="quick", seeds=[0],
                   model_overrides={"embedding_dim": request["embedding_dim"]},
                   train_overrides={"epochs": request["epochs"],
                                    "learning_rate": request["learning_rate"]},
                   on_epoch=on_epoch,
                   on_phase=lambda phase: update(phase=phase, phase_started_at=time.time()),
                   destination=folder / "artifact",
                   # The served view is computed live: storing every user's list would add
                   # a leave-one-out pass over all users to a run meant to take a minute.
                   store_lists=False)
    update(status="done", phase="done", finished_at=time.time())


def main(argv: list[str] | None = None) -> int:
    """Child entry point: train the run in `folder`, holding the inherited lock until exit."""
    parser = argparse.ArgumentParser(prog="python -m recdemo.retrain")
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    try:
        _run(args.folder)
    except Exception as exc:  # noqa: BLE001 - any failure must end in a readable status
        traceback.print_exc()
        progress = read_progress(args.folder)
        write_json_atomically(args.folder / "progress.json",
                              {**progress, "status": "failed", "error": str(exc),
                               "finished_at": time.time()})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
