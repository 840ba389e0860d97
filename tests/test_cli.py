"""The command line: answers, batch files, and one-line errors for every bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT
from synthetic import movie_title

from recdemo.cli import main


@pytest.fixture
def run(synthetic_artifacts, synthetic_dir, capsys):
    def run_cli(*args):
        code = main([*args, "--artifacts", str(synthetic_artifacts),
                     "--data-dir", str(synthetic_dir)])
        out, err = capsys.readouterr()
        return code, out, err
    return run_cli


def test_recommend_for_a_user_as_json(run):
    code, out, err = run("recommend", "--model", "sasrec", "--user-id", "2", "--k", "4", "--json")
    assert code == 0, err
    items = json.loads(out)["items"]
    assert len(items) == 4 and set(items[0]) == {"movie_id", "item", "title", "score",
                                                "probability"}
    assert items[0]["item"] == str(items[0]["movie_id"])  # MovieLens: the id as written


def test_recommend_by_titles_and_history_agree(run):
    _, by_title, _ = run("recommend", "--model", "gru4rec", "--title", movie_title(3),
                         "--title", "film 04")
    _, by_ids, _ = run("recommend", "--model", "gru4rec", "--history", "3,4")
    assert by_title == by_ids and len(by_ids.splitlines()) == 10


def test_batch_file_keeps_going_past_bad_lines(run, tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join([
        json.dumps({"id": "a", "user_id": 1}),
        json.dumps({"id": "b", "history": [1, 2]}),
        json.dumps({"id": "c", "user_id": 424242}),
        "{not json",
        json.dumps({"id": "e", "history": []}),
    ]) + "\n")
    code, out, _ = run("recommend", "--model", "two_tower", "--batch", str(batch), "--k", "3")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", "c", None, "e"]
    assert len(lines[0]["items"]) == 3 and len(lines[1]["items"]) == 3
    assert "Unknown user id" in lines[2]["error"] and "error" in lines[3]
    assert "empty" in lines[4]["error"]


def test_evaluate_prints_model_and_most_popular(run):
    code, out, _ = run("evaluate", "--model", "gru4rec", "--split", "valid")
    assert code == 0
    assert out.splitlines()[1].startswith("gru4rec") and "most_popular" in out


@pytest.mark.parametrize("args, message", [
    (["recommend", "--model", "sasrec", "--user-id", "999"], "Unknown user id 999"),
    (["recommend", "--model", "sasrec", "--history", "1,x"], "comma-separated"),
    (["recommend", "--model", "sasrec", "--history", ""], "empty"),
    (["recommend", "--model", "sasrec", "--history", "99"], "Unknown movie id 99"),
    (["recommend", "--model", "sasrec", "--title", "No Such Film"], "Unknown title"),
    # Bytes that are not UTF-8, as a shell hands `$'\xff\xfebad'` to Python.
    (["recommend", "--model", "sasrec", "--title", "\udcff\udcfebad"], "Unknown title"),
    (["recommend", "--model", "sasrec", "--user-id", "1", "--k", "0"], "positive"),
    (["recommend", "--model", "sasrec", "--batch", "/no/such/file"], "Cannot read"),
])
def test_bad_input_is_one_line_and_exit_2(run, args, message):
    code, out, err = run(*args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_missing_artifact_is_reported(synthetic_dir, tmp_path, capsys):
    code = main(["evaluate", "--model", "sasrec", "--artifacts", str(tmp_path),
                 "--data-dir", str(synthetic_dir)])
    assert code == 2 and "No artifact" in capsys.readouterr().err


def test_real_process_prints_no_traceback(synthetic_dir, tmp_path):
    env = {**os.environ, "RECDEMO_DATA_DIR": str(synthetic_dir)}
    for args in (["recommend", "--model", "sasrec", "--user-id", "1", "--artifacts",
                  str(tmp_path)],
                 ["recommend", "--model", "nope", "--user-id", "1"]):
        done = subprocess.run([sys.executable, "-m", "recdemo", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr and done.stderr.strip()


def test_train_command_writes_an_artifact_with_overrides(synthetic_dir, tmp_path, capsys):
    code = main(["train", "--model", "sasrec", "--preset", "quick", "--epochs", "1",
                 "--embedding-dim", "8", "--num-heads", "1", "--max-len", "6", "--hidden-dim",
                 "99", "--out", str(tmp_path), "--data-dir", str(synthetic_dir)])
    out, _ = capsys.readouterr()
    assert code == 0 and "saved" in out
    config = json.loads((tmp_path / "ml-100k" / "sasrec" / "config.json").read_text())
    assert config["config"]["embedding_dim"] == 8 and config["config"]["max_len"] == 6
    assert "hidden_dim" not in config["config"]  # a GRU4Rec-only flag is not passed to SASRec
    assert config["train"]["epochs"] == 1 and config["train"]["preset"] == "quick"


def test_train_name_needs_a_single_model(synthetic_dir, tmp_path, capsys):
    code = main(["train", "--model", "all", "--name", "x", "--out", str(tmp_path),
                 "--data-dir", str(synthetic_dir)])
    assert code == 2 and "--name" in capsys.readouterr().err


def test_batch_lines_of_wrong_types_become_errors_and_the_batch_goes_on(run, tmp_path):
    bad = [{"id": 1, "history": 5}, {"id": 2, "user_id": "1"}, {"id": 3, "history": "1,2"},
           {"id": 4, "history": [1.5]}, {"id": 5, "history": [True]}, {"id": 6},
           {"id": 7, "user_id": 1, "history": [1]}, [1, 2], None, {"id": 8, "history": {}},
           {"id": 9, "user_id": 10**30}, {"id": 10, "history": [None]}]
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(json.dumps(line) for line in bad) + "\n"
                     + json.dumps({"id": "ok", "user_id": 1}) + "\n")
    code, out, err = run("recommend", "--model", "sasrec", "--batch", str(batch))
    assert code == 0 and err == ""
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == len(bad) + 1
    assert all("error" in line and "items" not in line for line in lines[:-1])
    assert len(lines[-1]["items"]) == 10


@pytest.mark.parametrize("flag, value", [
    ("--epochs", "0"), ("--loss", "focal"), ("--dropout", "1.5"), ("--patience", "-1"),
    ("--weight-decay", "-0.1"), ("--learning-rate", "nan"), ("--learning-rate", "0"),
    ("--batch-size", "x"), ("--sampler", "zipf"), ("--num-negatives", "0"),
    ("--embedding-dim", "1"), ("--seed", "-3"), ("--max-len", "0"),
])
def test_bad_hyperparameters_are_one_line_and_exit_2(synthetic_dir, tmp_path, capsys, flag,
                                                     value):
    code = main(["train", "--model", "sasrec", flag, value, "--out", str(tmp_path),
                 "--data-dir", str(synthetic_dir)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert value in err and not list(tmp_path.iterdir())


def test_evaluate_valid_on_a_refitted_model_reports_the_selection_run(run, synthetic_artifacts):
    from recdemo import artifacts

    code, out, _ = run("evaluate", "--model", "two_tower", "--split", "valid")
    assert code == 0 and "refitted" in out
    recorded = artifacts.read_json(artifacts.artifact_dir("two_tower", "ml-100k",
                                                          synthetic_artifacts), "metrics.json")
    assert f"{recorded['valid']['hr@10']:.4f}" in out.splitlines()[1]


def test_a_successful_command_prints_nothing_on_stderr(synthetic_artifacts, synthetic_dir):
    env = {**os.environ, "RECDEMO_DATA_DIR": str(synthetic_dir)}
    done = subprocess.run([sys.executable, "-m", "recdemo", "recommend", "--model", "sasrec",
                           "--user-id", "1", "--artifacts", str(synthetic_artifacts)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 10
    assert done.stderr == ""
