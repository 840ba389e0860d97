"""The cold-start summary the bench prints: medians, and how often a round met the target."""

from recdemo.bench import cold_start_summary, format_table


def test_cold_start_summary_reads_each_round_against_its_own_bare_page():
    # Round 2 ran in a slow minute: its app time is twice round 1's, and so is its bare page.
    summary = cold_start_summary(bare=[1.0, 2.0, 1.0], painted=[1.2, 2.4, 1.3],
                                 first=[1.4, 3.2, 1.6], browser_s=0.5)
    assert summary["bare_page_s"] == 1.0
    assert summary["first_top10_s"] == 1.6
    assert summary["first_top10_vs_bare"] == 1.6
    assert summary["first_top10_vs_bare_by_round"] == [1.4, 1.6, 1.6]
    assert summary["rounds_within_target"] == 1  # only round 1 is within 1.5x


def test_bench_table_says_how_many_rounds_met_the_target():
    app = cold_start_summary(bare=[1.0, 1.0], painted=[1.2, 1.3], first=[1.4, 1.7],
                             browser_s=0.5)
    text = format_table({"models": {}, "app_cold_start": app, "serving_peak_rss_mb": 500,
                         "machine": "2 cores"})
    assert "1.40-1.70x the bare page; 1 of 2 rounds within the 1.5x target" in text


def test_the_fresh_browser_protocol_is_named_and_counts_the_browser_start():
    app = cold_start_summary(bare=[1.6, 1.8], painted=[2.4, 2.6], first=[2.0, 2.3],
                             browser_s=None)
    text = format_table({"models": {}, "app_cold_start_fresh_browser": app,
                         "serving_peak_rss_mb": 500, "machine": "2 cores"})
    assert "a headless Chromium launched once each server answered" in text
    assert "starting the browser took" not in text
    assert "1.25-1.28x the bare page; 2 of 2 rounds within the 1.5x target" in text
