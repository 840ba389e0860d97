"""Recipes derived from the data's shape, and the benchmark command that times them."""

from __future__ import annotations

import json

import numpy as np

from recdemo.recipes import auto_recipe

SEQUENCE = {"embedding_dim", "max_len", "dropout", "loss", "num_negatives", "num_blocks",
            "num_heads", "sampler"}
USER_ID = {"embedding_dim", "loss", "num_negatives", "sampler", "dropout"}


def test_a_short_history_log_over_a_large_catalogue_gets_sampled_softmax_and_short_windows():
    rng = np.random.default_rng(0)
    lengths = np.minimum(rng.geometric(0.2, size=31_000) + 2, 800)  # median ~5, long tail
    model, train, reasons = auto_recipe("sasrec", SEQUENCE, 31_000, 23_715, lengths)
    p99 = np.percentile(lengths, 99)
    assert model["max_len"] >= p99 and model["max_len"] < 2 * p99 and model["max_len"] <= 200
    assert model["loss"] == "sampled" and model["num_negatives"] == 300
    assert model["dropout"] == 0.5 and model["num_heads"] == 1
    steps = -(-31_000 // train["batch_size"])
    assert train["batch_size"] == 128 and train["patience"] > 0
    assert 10 <= train["epochs"] <= 48 and abs(train["epochs"] * steps - 5_000) < 2 * steps
    text = " ".join(reasons)
    assert "23,715 items" in text and f"{p99:.0f} items" in text and "31,000 users" in text


def test_a_small_dense_log_keeps_the_full_softmax_and_long_windows():
    lengths = np.full(943, 100)
    model, train, _ = auto_recipe("gru4rec", SEQUENCE - {"num_heads", "num_blocks"}, 943,
                                  1_682, lengths)
    assert model["loss"] == "softmax" and model["max_len"] == 128 and model["dropout"] == 0.3
    assert train["batch_size"] == 64 and train["epochs"] == 48  # 15 steps an epoch: capped


def test_a_user_id_model_gets_no_sequence_settings_and_rows_are_interactions():
    lengths = np.full(10_000, 20)
    model, train, reasons = auto_recipe("two_tower", USER_ID, 10_000, 8_000, lengths)
    assert "max_len" not in model and "dropout" not in model and model["loss"] == "sampled"
    assert train["batch_size"] == 512 and "200,000 training rows" in " ".join(reasons)
    # 391 steps an epoch: the user-id horizon of ~2,000 steps is 6 epochs, at the higher rate.
    assert train["epochs"] == 6 and train["learning_rate"] == 6e-3


def test_the_benchmark_trains_each_model_and_prints_one_table(tmp_path, capsys):
    from test_sequences import write_sequences

    from recdemo.benchmark import main

    path = write_sequences(tmp_path)
    out = tmp_path / "artifacts"
    assert main([f"sequences:{path}", "--models", "sasrec", "gru4rec", "--epochs", "1",
                 "--out", str(out), "--json", str(tmp_path / "rows.json")]) == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert "sasrec on sequences-shop, settings derived from the data:" in captured.err
    assert "| SASRec |" in printed and "| GRU4Rec |" in printed
    assert "No published full-ranking figures for sequences-shop" in printed
    rows = json.loads((tmp_path / "rows.json").read_text())
    provenance = json.loads((out / "sequences-shop" / "sasrec" / "provenance.json").read_text())
    assert rows[0]["test HR@10"] >= 0 and provenance["peak_rss_mb"] > 100
    assert provenance["recipe"]["preset"] == "auto"
    assert any("max_len" in reason for reason in provenance["recipe"]["reasons"])
