"""Data parallelism: two (forced host) devices, and two processes joined by `jax.distributed`,
train the one-device model; what they train serves on one device."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest
from conftest import ROOT

import recdemo
from recdemo import RecdemoError
from recdemo.distributed import initialize_from_env, local_batches
from recdemo.epochs import padded_to_batches
from recdemo.serving import load_recommender

TRAIN = ["-m", "recdemo", "train", "--model", "sasrec", "--preset", "quick", "--epochs", "3",
         "--batch-size", "16", "--embedding-dim", "8", "--num-heads", "1", "--max-len", "6",
         "--dropout", "0.2"]


def _train(devices: int, synthetic_dir, out, *flags) -> subprocess.CompletedProcess:
    env = {**os.environ, "RECDEMO_DATA_DIR": str(synthetic_dir),
           "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    return subprocess.run([sys.executable, *TRAIN, "--out", str(out), *flags], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def _curve(root) -> list[tuple[float, float]]:
    folder = root / "ml-100k" / "sasrec"
    return [(e["train_loss"], e["val_loss"])
            for e in json.loads((folder / "history.json").read_text())]


@pytest.mark.slow
def test_two_devices_give_the_one_device_curve_and_serve_on_one(synthetic_dir, synthetic_data,
                                                                tmp_path):
    assert jax.device_count() == 1  # the test process itself is the one-device server
    curves = {}
    for devices in (1, 2):
        done = _train(devices, synthetic_dir, tmp_path / str(devices))
        assert done.returncode == 0, done.stderr
        folder = tmp_path / str(devices) / "ml-100k" / "sasrec"
        provenance = json.loads((folder / "provenance.json").read_text())
        assert provenance["device_count"] == devices
        curves[devices] = _curve(tmp_path / str(devices))
    # Same seed, same batches and dropout bits: only the all-reduce's summation order differs.
    np.testing.assert_allclose(curves[2], curves[1], rtol=1e-4)
    recommender = load_recommender("sasrec", *synthetic_data, root=tmp_path / "2")
    assert len(recommender.recommend(user_id=1, k=5)) == 5


@pytest.mark.slow
@pytest.mark.slow
def test_two_processes_train_the_one_process_model_and_only_process_0_writes(synthetic_dir,
                                                                            tmp_path):
    """Multi-host on one machine: two CPU processes joined by `jax.distributed` (gloo)."""
    from recdemo.appdriver import free_port

    port = free_port()
    env = {**os.environ, "RECDEMO_DATA_DIR": str(synthetic_dir),
           "RECDEMO_COORDINATOR": f"127.0.0.1:{port}", "RECDEMO_NUM_PROCESSES": "2"}
    env.pop("XLA_FLAGS", None)
    processes = [subprocess.Popen([sys.executable, *TRAIN, "--out", str(tmp_path / f"p{i}")],
                                  cwd=ROOT, env={**env, "RECDEMO_PROCESS_ID": str(i)},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in (0, 1)]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert "saved" in outputs[0][0] and "saved" not in outputs[1][0]
    assert not (tmp_path / "p1").exists()  # process 1 trained but wrote nothing
    provenance = json.loads((tmp_path / "p0" / "ml-100k" / "sasrec" / "provenance.json")
                            .read_text())
    assert (provenance["device_count"], provenance["process_count"]) == (2, 2)
    assert _train(1, synthetic_dir, tmp_path / "one").returncode == 0
    np.testing.assert_allclose(_curve(tmp_path / "p0"), _curve(tmp_path / "one"), rtol=1e-4)


@pytest.mark.slow
def test_a_batch_that_does_not_split_across_host_devices_trains_on_one(synthetic_dir,
                                                                      tmp_path):
    """Host devices are cores: batches of 15 cannot split over 2, so the run uses one device
    (an accelerator run refuses such a batch size in one line instead)."""
    for devices in (2, 1):
        done = _train(devices, synthetic_dir, tmp_path / str(devices), "--batch-size", "15")
        assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(_curve(tmp_path / "2"), _curve(tmp_path / "1"))


def test_padding_rows_weigh_nothing_and_fill_the_last_batch():
    x = {"query": np.arange(10).reshape(5, 2), "positives": np.arange(5)}
    y, weights = np.arange(5) + 10, np.ones(5, np.float32)
    px, py, pw = padded_to_batches(x, y, weights, batch_size=4)
    assert len(py) == len(pw) == len(px["query"]) == len(px["positives"]) == 8
    np.testing.assert_array_equal(pw, [1, 1, 1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(px["query"][:5], x["query"])
    assert padded_to_batches(x, y, weights, batch_size=5)[1] is y


def test_each_process_feeds_its_share_of_every_batch(monkeypatch):
    order = np.array(list("abcdefgh"))
    monkeypatch.setattr(jax, "process_count", lambda: 2)
    shares = []
    for index in (0, 1):
        monkeypatch.setattr(jax, "process_index", lambda index=index: index)
        shares.append("".join(local_batches(order, batch_size=4)))
    assert shares == ["abef", "cdgh"]  # batch 1 = ab + cd, batch 2 = ef + gh


def test_an_incomplete_process_group_is_one_line(monkeypatch):
    monkeypatch.setenv("RECDEMO_COORDINATOR", "127.0.0.1:1")
    monkeypatch.setenv("RECDEMO_NUM_PROCESSES", "2")
    monkeypatch.setenv("RECDEMO_PROCESS_ID", "2")
    with pytest.raises(RecdemoError, match="RECDEMO_PROCESS_ID"):
        initialize_from_env()
    monkeypatch.delenv("RECDEMO_COORDINATOR")
    assert initialize_from_env() is False


FLAG = "--xla_force_host_platform_device_count"


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, None),
    ({"RECDEMO_HOST_DEVICES": "1"}, None),
    ({"RECDEMO_HOST_DEVICES": "two"}, None),
    ({"RECDEMO_HOST_DEVICES": "-2"}, None),
    ({"RECDEMO_HOST_DEVICES": "2"}, f"{FLAG}=2"),
    ({"RECDEMO_HOST_DEVICES": "100000"}, f"{FLAG}=64"),
    ({"RECDEMO_HOST_DEVICES": "2", "XLA_FLAGS": "--xla_dump_to=/tmp/x"},
     f"--xla_dump_to=/tmp/x {FLAG}=2"),
    ({"RECDEMO_HOST_DEVICES": "2", "XLA_FLAGS": f"{FLAG}=3"}, None),
    ({"RECDEMO_HOST_DEVICES": "2", "RECDEMO_NUM_PROCESSES": "2"}, None),
    ({"RECDEMO_HOST_DEVICES": "2", "RECDEMO_COORDINATOR": "auto"}, None),
])
def test_host_devices_only_when_asked_for_and_not_overriding_the_environment(environ, expected):
    assert recdemo.host_device_flags(environ) == expected


@pytest.mark.parametrize(("environ", "cores", "expected"), [
    ({}, 2, f"{FLAG}=2"),
    ({}, 1, None),
    ({}, None, None),
    ({"RECDEMO_HOST_DEVICES": "1"}, 2, None),  # a person's "one device" wins
    ({"RECDEMO_HOST_DEVICES": "3"}, 2, f"{FLAG}=3"),
    ({"XLA_FLAGS": f"{FLAG}=4"}, 2, None),
    ({"RECDEMO_NUM_PROCESSES": "2"}, 2, None),
])
def test_a_recipe_asking_for_the_cores_gets_one_device_per_core(environ, cores, expected):
    assert recdemo.host_device_flags(environ, cores) == expected


def _env_choosing_no_devices() -> dict:
    """This environment without anything that chooses a device count."""
    return {k: v for k, v in os.environ.items() if k not in ("RECDEMO_HOST_DEVICES", "XLA_FLAGS")}


def _train_devices(synthetic_dir, out, preset: str, batch_size: int = 64, **environ) -> int:
    """The device count a tiny one-epoch `train` of SASRec's `preset` recorded."""
    env = _env_choosing_no_devices()
    command = ["-m", "recdemo", "train", "--model", "sasrec", "--preset", preset, "--epochs",
               "1", "--batch-size", str(batch_size), "--embedding-dim", "8", "--num-heads", "1",
               "--num-blocks", "1", "--max-len", "6", "--out", str(out)]
    done = subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, text=True,
                          env={**env, "RECDEMO_DATA_DIR": str(synthetic_dir), **environ},
                          timeout=300)
    assert done.returncode == 0, done.stderr
    folder = out / "ml-100k" / "sasrec"
    config = json.loads((folder / "config.json").read_text())
    assert config["train"]["host_cores"] is (preset == "full")
    return json.loads((folder / "provenance.json").read_text())["device_count"]


@pytest.mark.skipif(recdemo.usable_cores() < 2, reason="needs two cores")
def test_the_train_command_splits_sasrecs_full_preset_across_the_cores(synthetic_dir, tmp_path):
    devices = _train_devices(synthetic_dir, tmp_path / "full", "full")  # batch 64: 2 at most
    assert devices == min(recdemo.usable_cores(), 2)


@pytest.mark.slow
@pytest.mark.skipif(recdemo.usable_cores() < 2, reason="needs two cores")
def test_one_device_when_the_recipe_does_not_ask_or_a_person_says_so(synthetic_dir, tmp_path):
    assert _train_devices(synthetic_dir, tmp_path / "quick", "quick") == 1
    assert _train_devices(synthetic_dir, tmp_path / "one", "full",
                          RECDEMO_HOST_DEVICES="1") == 1
    # A core's share of a batch stays at least recdemo.MIN_ROWS_PER_CORE (32) rows.
    assert _train_devices(synthetic_dir, tmp_path / "small", "full", batch_size=48) == 1


def test_asked_for_host_devices_train_across_cores_and_fall_back_on_odd_batches():
    """By default a process sees one CPU device; with `RECDEMO_HOST_DEVICES=2`, two, across
    which a batch is split, and a batch size they do not divide runs on the most devices
    that divide it."""
    code = ("import recdemo, jax\n"
            "from recdemo.training import data_parallel\n"
            "def used(batch):\n"
            "    found = data_parallel(batch)\n"
            "    return 1 if found is None else found.device_mesh.devices.size\n"
            "print(jax.device_count(), used(64), used(63), used(2))\n")
    env = _env_choosing_no_devices()
    for asked, expected in ((None, ["1", "1", "1", "1"]), ("2", ["2", "2", "1", "2"])):
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                              env={**env, "RECDEMO_HOST_DEVICES": asked} if asked else env,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == expected
