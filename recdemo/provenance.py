"""Where a trained model came from: data, code, libraries, device(s), time; recorded in each
artifact's `provenance.json`."""

from __future__ import annotations

import datetime
import os
import subprocess
from importlib import metadata
from pathlib import Path

from recdemo.dataset import Dataset

_LIBRARIES = ("keras", "keras-rs", "keras-hub", "jax", "jaxlib", "numpy")


def training_device() -> str:
    """The device JAX computes on, e.g. `cpu (cpu)` or `gpu (NVIDIA A100)`."""
    import jax

    device = jax.devices()[0]
    return f"{device.platform} ({getattr(device, 'device_kind', str(device))})"


# What decides a trained model besides its config: `code_modified` records whether these
# differ from `git_commit` (artifacts/ is left out: saving one model must not mark the next).
_TRAINING_CODE = ("recdemo", "requirements.txt")


def git_state(root: str | os.PathLike | None = None) -> tuple[str, bool | None]:
    """`(HEAD commit, whether the training code differs from it)` of the checkout at `root`
    (default: the one holding this package); `("unknown", None)` outside a git checkout."""
    root = Path(root) if root else Path(__file__).parent.parent

    def git(*args) -> str | None:
        try:
            out = subprocess.run(["git", *args], capture_output=True, text=True, cwd=root,
                                 timeout=5)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return "unknown", None
    changes = git("status", "--porcelain", "--untracked-files=normal", "--", *_TRAINING_CODE)
    return commit, None if changes is None else bool(changes)


def provenance(dataset: Dataset, *, seed: int, wall_seconds: float, epochs_run: int,
               best_epoch: int) -> dict:
    """Where a trained model came from: data, code, libraries, device(s), time."""
    import jax

    commit, code_modified = git_state()
    return {
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "wall_seconds": round(wall_seconds, 1),
        "epochs_run": epochs_run,
        "best_epoch": best_epoch,
        "device": training_device(),
        "device_count": jax.device_count(),
        "process_count": jax.process_count(),
        "libraries": {name: metadata.version(name) for name in _LIBRARIES},
        "dataset": dataset.name,
        "data_sha256": dataset.file_checksums(),
        "git_commit": commit,
        "code_modified": code_modified,
    }
