"""Driving the dashboard from a real browser, for the bench and the browser tests: a
`streamlit run` on a free loopback port, Debian's headless Chromium, and the one definition of
a cold start (history painted, first top-10 shown)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def launch_chromium(playwright):
    """Debian's headless Chromium as every browser test and the bench drive it."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--disable-background-networking", "--disable-component-update"])


# What a cold start waits for: the history table's first row; the list's tenth row, its title
# and its probability (a row of the list is read, not only the heading above it, and not only
# a title beside a placeholder); and the bare page's line. `text`: a pattern the element's
# text must match; `row` and `in_row`: the element's enclosing row must also show an element
# whose text matches `in_row`.
TARGETS = {"history": {"selector": "table.history tbody tr"},
           "tenth row": {"selector": "strong, b", "text": r"^10\. ",
                         "row": "[data-testid='stHorizontalBlock']",
                         "in_row": r"^\d+(\.\d+)?%$"},
           "bare line": {"selector": "p", "text": r"^One line of text\.$"}}

# Noted in the page, from its first frame: the first animation frame in which each target is
# visible (laid out, not hidden, not transparent), as epoch milliseconds. Playwright's own wait
# cannot say when: it polls at growing intervals (half a second apart once a page has been
# open a while) and its calls queue behind a busy main thread, so it noticed the app's tenth
# row 0.1-0.7 s after it showed but the bare page's line 10-80 ms after (docs/performance.md).
# The page is searched only in frames after a change, to take as little of its time as can be.
_FIRST_SHOWN = """(targets) => {
  if (window.__firstShown) return;
  const marks = window.__firstShown = {};
  let changed = true;
  new MutationObserver(() => { changed = true; }).observe(
    document, {subtree: true, childList: true, attributes: true, characterData: true});
  const shown = (el) => el.checkVisibility({opacityProperty: true, visibilityProperty: true})
    && el.getBoundingClientRect().height > 0;
  const matches = (el, pattern) => !pattern || new RegExp(pattern).test(el.textContent);
  const state = ({selector, text, row, in_row}) => {
    for (const el of document.querySelectorAll(selector)) {
      if (!matches(el, text)) continue;
      const box = row ? el.closest(row) : null;
      const complete = !row || (box && [...box.querySelectorAll("*")].some(
        (part) => !part.children.length && matches(part, in_row) && shown(part)));
      return shown(el) && complete ? "shown" : "hidden";
    }
    return "absent";
  };
  const frame = () => {
    const now = performance.timeOrigin + performance.now();
    let hidden = false;
    for (const [name, target] of Object.entries(targets)) {
      if (name in marks || !changed) continue;
      const found = state(target);
      if (found === "shown") marks[name] = now;
      hidden = hidden || found === "hidden";
    }
    changed = hidden;  // a target in the page but not yet visible is looked at every frame
    if (Object.keys(marks).length < Object.keys(targets).length) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}"""


def note_first_shown(page, names: list[str]) -> None:
    """From the next navigation on, note in the page when each of `TARGETS[name]` first shows
    (read with `first_shown`)."""
    targets = {name: TARGETS[name] for name in names}
    page.add_init_script(f"({_FIRST_SHOWN})({json.dumps(targets)})")


def first_shown(page, name: str, timeout_ms: float = 180_000) -> float:
    """Epoch seconds of the first frame in which target `name` was visible (after
    `note_first_shown`), waiting for it up to `timeout_ms`."""
    noted = page.wait_for_function("name => (window.__firstShown || {})[name]", arg=name,
                                   timeout=timeout_ms)
    return noted.json_value() / 1000


def cold_start(page, url: str, launched: float) -> tuple[float, float]:
    """Open user 7's view; seconds from `launched` (a `time.time()` reading taken before the
    server started) until the history table's first row showed, and until the first top-10's
    tenth row showed with its probability: one definition for the bench and the browser
    test."""
    note_first_shown(page, ["history", "tenth row"])
    page.goto(f"{url}/?user=7")
    return first_shown(page, "history") - launched, first_shown(page, "tenth row") - launched


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(runs_dir: str, script: Path = ROOT / "streamlit_app.py",
                 ) -> tuple[subprocess.Popen, str]:
    """`streamlit run script` on a free loopback port; returns the process and its URL when
    healthy."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "RECDEMO_RUNS_DIR": runs_dir},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return process, url
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("streamlit did not start")


BARE_PAGE = 'import streamlit as st\n\nst.title("A bare page")\nst.write("One line of text.")\n'


def bare_page_cold_start(open_page, folder: str) -> float:
    """Seconds from `streamlit run` of a page with a title and one line of text until that line
    shows: the framework's own floor, to compare the app's cold start with. `open_page()` gives
    the page to load it in, once the server answers."""
    script = Path(folder) / "bare_page.py"
    script.write_text(BARE_PAGE)
    launched = time.time()
    process, url = start_server(folder, script)
    try:
        page = open_page()
        note_first_shown(page, ["bare line"])
        page.goto(url)
        return first_shown(page, "bare line") - launched
    finally:
        process.terminate()
        process.wait(timeout=30)
