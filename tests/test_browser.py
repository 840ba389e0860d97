"""The dashboard in a real browser: `streamlit run` on a free loopback port, driven by Debian's
Chromium through Playwright. Every tab is opened at projector and desktop sizes and checked for
clipped buttons, charts wider than their column, hidden tabs and exceptions; screenshots go to
`tests/screenshots/` (look at them). Slow: `make test-slow` and CI run it."""

from __future__ import annotations

import os
import re
import shutil
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from recdemo.appdriver import (
    CHROMIUM,
    cold_start,
    first_shown,
    launch_chromium,
    note_first_shown,
    start_server,
)

pytestmark = pytest.mark.slow

SHOTS = ROOT / "tests" / "screenshots"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SIZES = ((1280, 720), (1366, 768), (1600, 900), (1920, 1080))
VIEWS = {
    "recommendations": "user=7",
    "history": "mode=history&history=50,172,181,1,98,127&model=gru4rec",
    "compare": "model=compare&user=3",
    "similar": "tab=Similar+movies&movie=1",
    "quality": "tab=Quality",
    "map": "tab=Embedding+map&user=7",
    "retrain": "tab=Retrain",
}
# Run in the page: every problem a presenter would see, as strings.
LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  for (const b of document.querySelectorAll('[data-testid="stMain"] button')) {
    const r = b.getBoundingClientRect();
    if (r.width === 0 || b.closest('[data-baseweb="tab-list"]')) continue;
    const empty = !b.innerText.trim() && !b.querySelector('[data-testid="stIconMaterial"], svg');
    if (b.scrollWidth > b.clientWidth + 2 || r.width < 14 || empty || r.right > width + 1)
      problems.push(`clipped or empty button "${b.innerText.trim().slice(0, 30)}" ${r.width}px`);
  }
  for (const d of document.querySelectorAll('[data-testid="stDataFrame"], table.history')) {
    const r = d.getBoundingClientRect();
    if (r.right > width + 1) problems.push('a table wider than the page');
  }
  for (const c of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    const parent = c.parentElement.getBoundingClientRect();
    for (const g of c.querySelectorAll('canvas, svg.marks')) {
      const r = g.getBoundingClientRect();
      if (r.right > parent.right + 2 || r.right > width + 1)
        problems.push(`chart overflows its column by ${Math.round(r.right - parent.right)}px`);
    }
  }
  for (const t of document.querySelectorAll('[data-baseweb="tab-list"]'))
    if (t.scrollWidth > t.clientWidth + 2) problems.push('tabs hidden behind a scroll arrow');
  if (document.querySelector('[data-testid="stException"]')) problems.push('an exception');
  return problems;
}"""
# Run in the page at its top: the buttons that start under Streamlit's header bar (it covers
# them).
UNDER_HEADER = """() => {
  const header = document.querySelector('[data-testid="stHeader"]');
  const covered = header ? header.getBoundingClientRect().bottom : 0;
  return [...document.querySelectorAll('[data-testid="stMain"] button')]
    .filter(b => { const r = b.getBoundingClientRect();
                   return r.width > 0 && r.top < covered - 1 && r.bottom > 0; })
    .map(b => `button "${b.innerText.trim().slice(0, 30)}" under the header`);
}"""


@pytest.fixture
def served_app(real_data, tmp_path):
    launched = time.time()
    process, url = start_server(str(tmp_path / "runs"))
    yield url, launched
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def _idle(page, timeout=180_000):
    page.wait_for_timeout(300)  # let the rerun begin before waiting for it to end
    page.wait_for_selector(IDLE, timeout=timeout)


# A page whose rows show at known moments: the history row 0.7 s after the page starts; the
# tenth row put in hidden at 0.8 s, its title made visible at 1.1 s and its probability at
# 1.3 s. Each moment is noted by the page itself as it happens.
TIMED_PAGE = """<html><body><script>
  window.truth = {};
  const at = (ms, action) => setTimeout(() => {
    action(); window.truth[ms] = performance.timeOrigin + performance.now(); }, ms);
  const show = (id) => { document.getElementById(id).style.display = 'block'; };
  at(700, () => document.body.insertAdjacentHTML('beforeend',
    "<table class='history'><tbody><tr><td>Heat (1995)</td></tr></tbody></table>"));
  at(800, () => document.body.insertAdjacentHTML('beforeend',
    "<div data-testid='stHorizontalBlock'><p id='title' style='display: none'>" +
    "<strong>10. Twister (1996)</strong></p><p id='share' style='display: none'>0.7%</p></div>"));
  at(1100, () => show('title'));
  at(1300, () => show('share'));
</script></body></html>"""


def test_the_cold_start_clock_reads_when_a_row_shows_not_when_playwright_notices(browser):
    page = browser.new_page()
    page.route("http://timed.test/**", lambda route: route.fulfill(
        body=TIMED_PAGE, content_type="text/html"))
    note_first_shown(page, ["history", "tenth row"])
    page.goto("http://timed.test/")
    page.wait_for_timeout(1700)  # Playwright looks only long after both rows showed
    truth = {int(ms): t / 1000 for ms, t in page.evaluate("window.truth").items()}
    # Within two frames of the moment each row was shown whole; hidden parts do not count.
    assert 0 <= first_shown(page, "history") - truth[700] < 0.04
    assert 0 <= first_shown(page, "tenth row") - truth[1300] < 0.04
    page.close()


def test_every_tab_at_every_size(served_app, browser):
    url, launched = served_app
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    painted, first = cold_start(page, url, launched)
    print(f"\ncold start: history painted {painted:.1f} s, "
          f"first top-10 {first:.1f} s after `streamlit run`")
    _idle(page)
    problems = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for name, query in VIEWS.items():
            page.goto(f"{url}/?{query}")
            _idle(page)
            page.wait_for_timeout(1200)  # let canvas tables and charts paint
            problems += [f"{width}x{height} {name}: {p}"
                         for p in page.evaluate(LAYOUT_PROBLEMS) + page.evaluate(UNDER_HEADER)]
            page.screenshot(path=str(SHOTS / f"{width}x{height}-{name}.png"))
    assert problems == []


def test_a_presenter_session(served_app, browser):
    url, _ = served_app
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{url}/?user=7")
    _idle(page)
    page.get_by_text("Top 10 from SASRec").wait_for(timeout=180_000)
    page.get_by_label("User id").click()
    page.keyboard.type("42")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"user=42(&|$)"), timeout=60_000)
    _idle(page)
    for label, heading in (("GRU4Rec", "Top 10 from GRU4Rec"),
                           ("Two-tower", "Top 10 from Two-tower")):
        clicked = time.time()
        page.get_by_text(label, exact=True).first.click()
        page.get_by_text(heading).wait_for()
        print(f"switch to {label}: {time.time() - clicked:.2f} s until its top-10 shows")
        _idle(page)
    page.get_by_text("Build a history", exact=True).click()
    _idle(page)
    for count, query in enumerate(("Toy Story", "Star Wars", "Fargo"), start=1):
        page.get_by_label("Add a movie (type to search titles)").click()
        page.keyboard.type(query)
        page.wait_for_timeout(300)
        page.keyboard.press("Enter")
        ids = r"\d+" + r"(%2C|,)\d+" * (count - 1)
        page.wait_for_url(re.compile(rf"history={ids}(&|$)"), timeout=60_000)
        _idle(page)
    page.get_by_text("Top 10 from Two-tower").wait_for()
    page.get_by_role("tab", name="Quality").click()
    page.wait_for_url(re.compile(r"tab=Quality"), timeout=60_000)
    _idle(page)
    body = page.inner_text("body")
    assert "Traceback" not in body and "Fargo" in body and "as often as" in body


# Each list row's probability as shown, and the bar the page's stylesheet draws under or beside
# it: the fill's share of the track, and the track's height and width.
LIST_BARS = """() => [...document.querySelectorAll("[class*='st-key-share-']")].map(share => {
  const bar = getComputedStyle(share, '::after');
  return [share.innerText.trim(), bar.backgroundSize.split(' ')[0], bar.height, bar.width];
})"""


def test_the_list_bars_come_with_the_page_and_match_the_probabilities(served_app, browser):
    url, _ = served_app
    with urllib.request.urlopen(url) as response:  # the HTML page, before any script runs
        first = response.read()
    assert first.count(b"<style id='recdemo-style'>") == 1
    assert first.index(b"recdemo-style") < first.index(b"</head>")
    assert int(response.headers["content-length"]) == len(first)
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    for query in ("user=7", "user=7&present=1"):
        page.goto(f"{url}/?{query}")
        _idle(page)
        bars = page.evaluate(LIST_BARS)
        assert len(bars) == 10, query
        shown = [float(label.rstrip("%")) for label, *_ in bars]
        fills = [float(size.rstrip("%")) for _, size, *_ in bars]
        # The labels are rounded to 0.1 point, so the ratio read from them is within ~6 points.
        assert fills[0] == 100 and np.allclose(fills, np.divide(shown, shown[0]) * 100, atol=6)
        assert all(height == "8px" and float(width.rstrip("px")) > 40
                   for _, _, height, width in bars), bars


FITS_720P = """() => {
  const rows = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
    .filter(e => /^10\\. /.test(e.innerText));
  const grid = document.querySelector('.st-key-compare_grid');
  const last = rows.length ? rows[0] : grid;
  return last ? last.getBoundingClientRect().bottom : null;
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_presenter_mode_fits_a_whole_top_10_on_a_720p_projector(served_app, browser, theme):
    url, _ = served_app
    page = browser.new_page(viewport={"width": 1280, "height": 720}, color_scheme=theme)
    for name, query in (("list", "user=7&present=1"),
                        ("compare", "model=compare&user=3&present=1"),
                        ("history", "mode=history&history=50,172,181,1,98,127&present=1")):
        page.goto(f"{url}/?{query}")
        _idle(page)
        page.wait_for_timeout(800)
        bottom = page.evaluate(FITS_720P)
        page.screenshot(path=str(SHOTS / f"1280x720-presenter-{name}-{theme}.png"))
        assert bottom is not None and bottom <= 720, f"{name}: the list ends at {bottom}px"
        assert page.evaluate(UNDER_HEADER) == []
        # The controls are folded away: the sidebar starts closed.
        assert page.evaluate("""() => {
          const bar = document.querySelector('[data-testid="stSidebar"]');
          return !bar || bar.getBoundingClientRect().right <= 1
                 || bar.getAttribute('aria-expanded') === 'false';
        }""")


def test_the_slide_button_downloads_the_titled_png(served_app, browser):
    url, _ = served_app
    page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page.goto(f"{url}/?user=7&model=compare")
    _idle(page)
    button = page.get_by_role("button", name="Slide (PNG)").first
    button.wait_for(timeout=60_000)
    with page.expect_download(timeout=60_000) as download:
        button.click()
    path = download.value.path()
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert download.value.suggested_filename.startswith("recdemo-ml-100k-Top-10-from-every")


def test_clicking_a_grid_cell_shows_where_that_movie_stands(served_app, browser):
    url, _ = served_app
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{url}/?user=410&model=compare")
    _idle(page)
    cell = page.locator("td.movie").nth(6)  # Playwright's CSS reaches into the shadow root
    title = cell.inner_text()
    cell.click()
    _idle(page)
    standing = page.get_by_text(re.compile(r"^Two-tower: rank \d+|^Two-tower: not a candidate"))
    standing.wait_for(timeout=60_000)
    assert "rank" in standing.inner_text() and "SASRec" in standing.inner_text()
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Where does a movie")
    assert title in picker.locator("input").input_value()
    assert "selected" in page.locator("td.movie").nth(6).get_attribute("class")
