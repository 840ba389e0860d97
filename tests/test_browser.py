"""One real-browser test: `streamlit run` on a free loopback port, driven by Debian's Chromium
through Playwright. It picks a user, switches models, builds a 3-title history and saves
screenshots to `tests/screenshots/` (look at them)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "tests" / "screenshots"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served_app(real_data, tmp_path):
    port = _free_port()
    env = {**os.environ, "RECDEMO_RUNS_DIR": str(tmp_path / "runs")}
    launched = time.time()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("streamlit did not start")
    yield url, launched
    process.terminate()
    process.wait(timeout=30)


def _idle(page, timeout=180_000):
    page.wait_for_timeout(300)  # let the rerun begin before waiting for it to end
    page.wait_for_selector(IDLE, timeout=timeout)


def test_real_browser_session(served_app):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        url, launched = served_app
        page.goto(f"{url}/?user=7")
        _idle(page)
        page.get_by_text("Top 10 from SASRec").wait_for(timeout=180_000)
        print(f"\ncold start, `streamlit run` to first top-10: {time.time() - launched:.1f} s")
        page.wait_for_timeout(2000)  # let the canvas tables and bars paint
        page.screenshot(path=str(SHOTS / "1-user.png"))

        # Pick another user through the searchable selectbox.
        page.get_by_label("User id").click()
        page.keyboard.type("42")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"user=42(&|$)"), timeout=60_000)
        _idle(page)

        # Switch models, then compare all three.
        for label, heading in (("GRU4Rec", "Top 10 from GRU4Rec"),
                               ("Two-tower", "Top 10 from Two-tower")):
            clicked = time.time()
            page.get_by_text(label, exact=True).first.click()
            page.get_by_text(heading).wait_for()
            print(f"switch to {label}: {time.time() - clicked:.2f} s until its top-10 shows")
            _idle(page)
        page.get_by_text("Compare all three", exact=True).click()
        _idle(page)
        page.get_by_text("Top 10 from all three models").wait_for()
        page.wait_for_timeout(2000)  # let the canvas tables and bars paint
        page.screenshot(path=str(SHOTS / "2-compare.png"))

        # Build a three-title history by typing into the title search.
        page.get_by_text("Build a history", exact=True).click()
        _idle(page)
        for count, query in enumerate(("Toy Story", "Star Wars", "Fargo"), start=1):
            page.get_by_label("Add a movie (type to search titles)").click()
            page.keyboard.type(query)
            page.wait_for_timeout(300)
            page.keyboard.press("Enter")
            # The history (in the URL) grows by one id per title.
            ids = r"\d+" + r"(%2C|,)\d+" * (count - 1)
            page.wait_for_url(re.compile(rf"history={ids}(&|$)"), timeout=60_000)
            _idle(page)
        page.get_by_text("SASRec", exact=True).first.click()
        _idle(page)
        page.get_by_text("Top 10 from SASRec").wait_for()
        page.wait_for_timeout(2000)  # let the canvas tables and bars paint
        page.screenshot(path=str(SHOTS / "3-history.png"))
        body = page.inner_text("body")
        assert "Traceback" not in body and "Toy Story" in body
        browser.close()
