"""The synthetic power-law generator and the scale measurement's pieces."""

from __future__ import annotations

import numpy as np

from recdemo.data import load
from recdemo.powerlaw import main as powerlaw_main
from recdemo.powerlaw import power_law_log
from recdemo.scale import on_paper, top_k_latency, train_steps


def test_power_law_log_has_its_shape_and_long_tails():
    frame = power_law_log(num_users=500, num_items=2_000, num_interactions=20_000, seed=3)
    assert len(frame) == 20_000
    per_user = frame.groupby("user").size()
    assert len(per_user) == 500 and per_user.min() >= 3
    assert per_user.max() > 10 * per_user.median()  # a few very long histories
    per_item = frame["item"].value_counts()
    # Zipf(1): the most popular item is drawn about 1 / H(2000) ~ 12 % of the time.
    assert 0.09 < per_item.iloc[0] / len(frame) < 0.16
    assert frame["item"].between(1, 2_000).all()
    # Each user's timestamps increase, so the split's order is the generated order.
    assert (frame.groupby("user")["timestamp"].diff().dropna() > 0).all()


def test_generated_files_read_as_custom_data_and_bad_flags_are_one_line(tmp_path, capsys):
    assert powerlaw_main(["--users", "50", "--items", "80", "--interactions", "400",
                          "--out", str(tmp_path)]) == 0
    dataset = load(f"custom:{tmp_path}")
    assert len(dataset.ratings) == 400 and dataset.num_users == 51
    assert powerlaw_main(["--users", "50", "--interactions", "100", "--out",
                          str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_paper_arithmetic_matches_a_hand_count():
    row = on_paper({"users": 10, "items": 1000, "interactions": 12_800}, batch_size=128,
                   max_len=50, num_negatives=99)
    assert row["steps_per_epoch"] == 2  # 12,800 / (50 * 128)
    assert row["full_logits_mib"] == round(128 * 50 * 1000 * 4 / 2**20)
    assert row["sampled_logits_mib"] == round(128 * 50 * 100 * 4 / 2**20, 1)


def test_measurements_run_end_to_end_on_small_shapes(tmp_path):
    powerlaw_main(["--users", "60", "--items", "300", "--interactions", "1200",
                   "--out", str(tmp_path)])
    row = train_steps(str(tmp_path), "sasrec", "sampled", steps=2, batch_size=16,
                      num_negatives=8)
    assert row["items"] == load(f"custom:{tmp_path}").num_items - 1
    assert row["seconds_per_step"] > 0 and row["peak_rss_mb"] > 0
    latency = top_k_latency(sizes=(100, 1_000), repeats=3)
    assert [r["items"] for r in latency] == [100, 1_000]
    assert all(np.isfinite(r["device_p50_ms"]) for r in latency)
