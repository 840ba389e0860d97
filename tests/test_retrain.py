"""Background retraining: the cross-process single-run lock and progress reporting."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from recdemo import RecdemoError, artifacts, retrain


def _fake_run(root, name, status="running"):
    folder = root / name
    folder.mkdir(parents=True)
    retrain.write_json_atomically(folder / "request.json", {"model": "sasrec",
                                                            "dataset": "ml-100k"})
    retrain.write_json_atomically(folder / "progress.json",
                                  {"status": status, "epoch": 2, "epochs": 5, "history": []})
    return folder


def _hold_run_lock(folder):
    """A separate process holding a run's `.alive` lock until killed (a training elsewhere)."""
    code = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(120)")
    process = subprocess.Popen([sys.executable, "-c", code, str(folder / retrain.ALIVE_LOCK)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    return process


def test_a_run_in_another_process_blocks_new_runs(tmp_path):
    root = tmp_path / "runs"
    holder = _hold_run_lock(_fake_run(root, "20260101-000000-sasrec-aaaaaa"))
    try:
        assert retrain.training_in_progress(root)
        with pytest.raises(RecdemoError, match="in progress"):
            retrain.start("two_tower", "ml-100k", epochs=1, learning_rate=1e-3,
                          embedding_dim=8, root=root)
    finally:
        holder.kill()
        holder.wait()
    assert not retrain.training_in_progress(root)


def test_a_dead_run_reads_as_failed_even_while_another_run_trains(tmp_path):
    root = tmp_path / "runs"
    dead = _fake_run(root, "20260101-000000-sasrec-dead00")
    holder = _hold_run_lock(_fake_run(root, "20260101-000001-gru4rec-alive0"))
    try:
        progress = retrain.read_progress(dead)
        assert progress["status"] == "failed" and "stopped unexpectedly" in progress["error"]
    finally:
        holder.kill()
        holder.wait()


def test_status_checks_never_refuse_a_legitimate_start(tmp_path, monkeypatch):
    # Many concurrent status checks while runs start and finish one after another: every
    # start made when nothing is running must succeed.
    import fcntl
    import os
    import threading
    import uuid

    root = tmp_path / "runs"

    def run_that_trains_and_exits(root, request):
        # What a real run leaves behind: a folder whose `.alive` lock a process held while it
        # trained and released when it exited. The pollers probe these locks meanwhile.
        folder = _fake_run(root, f"20260102-000000-sasrec-{uuid.uuid4().hex[:6]}",
                           status="done")
        alive = os.open(folder / retrain.ALIVE_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(alive, fcntl.LOCK_EX)
        os.close(alive)
        return folder

    monkeypatch.setattr(retrain, "_spawn", run_that_trains_and_exits)
    stop = threading.Event()
    errors = []

    def poll():
        while not stop.is_set():
            try:
                retrain.training_in_progress(root)
                for folder in retrain._run_folders(root):
                    retrain.read_progress(folder)
            except Exception as exc:  # noqa: BLE001  (reported by the test below)
                errors.append(exc)

    pollers = [threading.Thread(target=poll) for _ in range(4)]
    _fake_run(root, "20260101-000000-sasrec-done00", status="done")
    for thread in pollers:
        thread.start()
    try:
        for _ in range(300):
            retrain.start("sasrec", "ml-100k", epochs=1, learning_rate=1e-3, embedding_dim=8,
                          root=root)
    finally:
        stop.set()
        for thread in pollers:
            thread.join()
    assert errors == []
    assert len(retrain._run_folders(root)) == retrain.MAX_KEPT_RUNS


def test_old_runs_are_pruned_but_never_a_running_one(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    running = _fake_run(root, "20250101-000000-sasrec-oldest")
    holder = _hold_run_lock(running)
    try:
        for index in range(retrain.MAX_KEPT_RUNS + 3):
            _fake_run(root, f"20260101-{index:06d}-sasrec-done00", status="done")
        retrain._prune(root, keep=retrain.MAX_KEPT_RUNS - 1)
        kept = retrain._run_folders(root)
        assert running in kept and len(kept) == retrain.MAX_KEPT_RUNS
        assert kept[0].name == f"20260101-{retrain.MAX_KEPT_RUNS + 2:06d}-sasrec-done00"
    finally:
        holder.kill()
        holder.wait()


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
    assert progress["phase"] == "done"
    store = folder / artifacts.VERSIONS_DIR  # one finished version, no staging left
    assert [p.name for p in store.iterdir()] == [(folder / "artifact").resolve().name]


def test_a_run_can_be_cancelled(synthetic_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("RECDEMO_DATA_DIR", str(synthetic_dir))
    root = tmp_path / "runs"
    folder = retrain.start("sasrec", "ml-100k", epochs=100, learning_rate=1e-3,
                           embedding_dim=8, root=root)
    deadline = time.time() + 120
    while retrain.read_progress(folder).get("phase") in (None, "preparing"):
        assert time.time() < deadline, (folder / "train.log").read_text()
        time.sleep(0.2)
    assert retrain.cancel(folder)
    while retrain.run_alive(folder):
        assert time.time() < deadline
        time.sleep(0.1)
    assert retrain.read_progress(folder)["status"] == "cancelled"
    assert not retrain.cancel(folder) and not retrain.training_in_progress(root)


def test_retrain_on_custom_data_serves_with_the_original_ids(tmp_path, monkeypatch):
    from synthetic import custom_user, write_custom

    from recdemo.serving import load_data, recommender_from_folder

    folder = write_custom(tmp_path)
    monkeypatch.setenv("RECDEMO_CUSTOM_DATA", str(folder))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    run = retrain.start("sasrec", "custom-shop", epochs=1, learning_rate=1e-3, embedding_dim=8,
                        root=tmp_path / "runs")
    deadline = time.time() + 180
    while retrain.read_progress(run)["status"] in ("starting", "running"):
        assert time.time() < deadline, (run / "train.log").read_text()
        time.sleep(0.5)
    assert retrain.read_progress(run)["status"] == "done", (run / "train.log").read_text()
    dataset, split = load_data("custom-shop")
    recommender = recommender_from_folder(run / "artifact", dataset, split)
    items = recommender.recommend(user_id=dataset.user_of(custom_user(2)), k=3)
    assert len(items) == 3 and all(item.item.startswith("sku-") for item in items)
