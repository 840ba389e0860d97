"""Concurrent sessions on a real server (see `tests/load.py`, which prints the figures). The
short run is in the default suite; the 20-session minute is slow."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from load import CHROMIUM, run_load, start_server


def _need_chromium():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")


@pytest.mark.parametrize("sessions, seconds", [
    pytest.param(4, 10, id="short"),
    pytest.param(20, 60, id="20-sessions-1-minute", marks=pytest.mark.slow),
])
def test_concurrent_sessions_all_get_their_top10(real_data, tmp_path, sessions, seconds):
    _need_chromium()
    process, url = start_server(str(tmp_path / "runs"))
    try:
        figures = run_load(url, process.pid, sessions, seconds)
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"\n{figures}")
    assert figures["errors"] == 0, figures["error_kinds"]
    assert figures["actions"] >= sessions
    assert figures["server_peak_rss_mb"] < 4000
