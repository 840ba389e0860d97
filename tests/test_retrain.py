"""Background retraining: the cross-process single-run lock and progress reporting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from recdemo import RecdemoError, retrain


def _hold_lock(root):
    """A separate process holding the runs lock until killed (a training in another app)."""
    code = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(120)")
    root.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([sys.executable, "-c", code, str(root / retrain.LOCK_FILE)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    return process


def test_a_run_in_another_process_blocks_new_runs(tmp_path):
    root = tmp_path / "runs"
    holder = _hold_lock(root)
    try:
        assert retrain.training_in_progress(root)
        with pytest.raises(RecdemoError, match="in progress"):
            retrain.start("two_tower", "ml-100k", epochs=1, learning_rate=1e-3,
                          embedding_dim=8, root=root)
    finally:
        holder.kill()
        holder.wait()
    assert not retrain.training_in_progress(root)


def test_a_dead_run_reads_as_failed(tmp_path):
    folder = tmp_path / "runs" / "run-1"
    folder.mkdir(parents=True)
    retrain.write_json_atomically(folder / "request.json", {"model": "sasrec"})
    retrain.write_json_atomically(folder / "progress.json",
                                  {"status": "running", "epoch": 2, "epochs": 5, "history": []})
    progress = retrain.read_progress(folder)
    assert progress["status"] == "failed" and "stopped unexpectedly" in progress["error"]


def test_background_run_trains_reports_and_saves(synthetic_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("RECDEMO_DATA_DIR", str(synthetic_dir))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    root = tmp_path / "runs"
    folder = retrain.start("gru4rec", "ml-100k", epochs=2, learning_rate=1e-2, embedding_dim=8,
                           root=root)
    with pytest.raises(RecdemoError):
        retrain.start("sasrec", "ml-100k", epochs=1, learning_rate=1e-3, embedding_dim=8,
                      root=root)
    deadline = time.time() + 180
    while retrain.read_progress(folder)["status"] in ("starting", "running"):
        assert time.time() < deadline, (folder / "train.log").read_text()
        time.sleep(0.5)
    progress = retrain.read_progress(folder)
    assert progress["status"] == "done", (folder / "train.log").read_text()
    assert [log["epoch"] for log in progress["history"]] == [1, 2]
    assert retrain.list_finished(root) == [folder]
    config = json.loads((folder / "artifact" / "config.json").read_text())
    assert config["config"]["embedding_dim"] == 8 and config["train"]["epochs"] == 2
    while retrain.training_in_progress(root):  # the child exits right after saying "done"
        assert time.time() < deadline
        time.sleep(0.2)
    assert not [p for p in os.listdir(folder) if p.startswith(".")]  # no staging left
