"""The page's own stylesheet, sent in the head of the HTML page Streamlit serves, so that it
applies from the first paint.

Streamlit offers page CSS only as an element (`st.html` or raw-HTML `st.markdown`), and an
element type's code is fetched by the browser when the first one arrives: in a cold start the
list's bars came after its titles, and the title changed size when the rules came
(docs/performance.md). Here the rules travel with the page, and a list row is plain Markdown
in keyed containers (Streamlit gives a container with `key=K` the CSS class `st-key-K`): the
bar is drawn by these rules from the fill written in the container's key (`share_key`).

Rules that depend on the session (presenter mode's title) stay in the page script.
"""

from __future__ import annotations

import hashlib
import re

import streamlit as st

from recdemo.display import share_percent

# The container the presenter-mode list is drawn in: its rows are one line high.
COMPACT_LIST_KEY = "compact-list"


def share_key(fraction: float, *ids) -> str:
    """The key of the container that shows a probability and its bar filled to `fraction`
    (clamped to 0-1, not a finite number: empty); `ids` keep the key unique on the page."""
    return "-".join(["share", str(share_percent(fraction)), *map(str, ids)])


def theme_colour(option: str) -> str:
    """A colour of the theme's config as CSS, or Streamlit's default primary colour."""
    value = st.get_option(option) or st.get_option("theme.primaryColor") or ""
    return value if re.fullmatch(r"#[0-9a-fA-F]{3,8}", value) else "#ff4b4b"


def page_css() -> str:
    """Every rule of the page that does not depend on the session."""
    fill = (f"light-dark({theme_colour('theme.light.primaryColor')}, "
            f"{theme_colour('theme.dark.primaryColor')})")
    share = "[class*='st-key-share-']"
    compact = f".st-key-{COMPACT_LIST_KEY}"
    rules = [
        # Less empty space around the views (Streamlit's own rule has the same specificity and
        # comes later in the page).
        ".stApp .block-container {padding: 2.8rem 1.5rem 2rem 1.5rem;}",
        "h1 {font-size: 2.1rem !important;}",
        # The history table (`watches.history_html`): the theme's text, hairline rows, and a
        # header that stays while the rows scroll (-1rem: over the container's padding), on a
        # translucent band that reads in the light and the dark theme alike.
        "table.history {width: 100%; border-collapse: collapse; font-size: 0.9rem;}",
        "table.history th, table.history td {padding: 0.25rem 0.5rem; text-align: left;"
        " border-bottom: 1px solid rgba(128, 128, 128, 0.25);}",
        "table.history .number {text-align: right; white-space: nowrap;}",
        "table.history th {position: sticky; top: -1rem; background: rgba(128, 128, 128, 0.28);"
        " backdrop-filter: blur(8px);}",
        # A share: its percentage as `st.progress` writes it, over a bar in the theme's primary
        # colour (light or dark, as the page shows) filled to `--share`.
        f"{share} {{gap: 0.1rem;}}",
        f"{share} [data-testid='stMarkdownContainer'] p {{font-size: 0.875rem;"
        " line-height: 1.6;}",
        f"{share}::after {{content: ''; display: block; align-self: stretch; height: 0.5rem;"
        f" border-radius: 0.25rem; background: linear-gradient({fill}, {fill}) left /"
        " var(--share) 100% no-repeat, rgba(128, 128, 128, 0.22);}",
        # Presenter mode: the percentage beside its bar, and buttons a line high, so that ten
        # rows fit a 720-pixel screen.
        f"{compact} {share} {{flex-direction: row; align-items: center; gap: 0.5rem;}}",
        f"{compact} {share}::after {{flex: 1 1 auto; align-self: center;}}",
        f"{compact} [class*='st-key-promote-'] button {{min-height: 1.6rem; padding-top: 0;"
        " padding-bottom: 0;}",
    ]
    # `share_key` writes the fill; the '-' after it keeps 4 from matching 42.
    rules += [f"[class*='st-key-share-{p}-'] {{--share: {p}%;}}" for p in range(101)]
    return "\n".join(rules)


class HeadStylesheet:
    """ASGI middleware (`st.App(..., middleware=[Middleware(HeadStylesheet)])`): adds `<style>`
    with `page_css()` to the head of every HTML page the app serves, and passes everything
    else through as it comes."""

    def __init__(self, app, css=page_css):
        self.app, self._css = app, css
        self._style: bytes | None = None

    def style(self) -> bytes:
        """The `<style>` element, built once the config is loaded (the first request)."""
        if self._style is None:
            self._style = f"<style id='recdemo-style'>\n{self._css()}\n</style>".encode()
        return self._style

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        if b"text/html" in dict(scope["headers"]).get(b"accept", b""):
            # A page is edited, so it must come whole and uncompressed (Streamlit's is 8 KB);
            # scripts and data keep their compression.
            scope = {**scope, "headers": [(name, value) for name, value in scope["headers"]
                                          if name not in (b"accept-encoding", b"range",
                                                          b"if-range")]}
        held: dict = {}

        async def edit(message):
            if message["type"] == "http.response.start":
                headers = {name.lower(): value for name, value in message["headers"]}
                if (message["status"] == 200 and b"content-encoding" not in headers
                        and headers.get(b"content-type", b"").startswith(b"text/html")):
                    held.update(start=message, body=[])
                    return
            elif "start" in held:
                held["body"].append(message.get("body", b""))
                if not message.get("more_body"):
                    await self._send_edited(held["start"], b"".join(held["body"]), send)
                return
            await send(message)

        await self.app(scope, receive, edit)

    async def _send_edited(self, start: dict, page: bytes, send) -> None:
        style = self.style()
        page = page.replace(b"</head>", style + b"</head>", 1)
        headers = [(b"content-length", str(len(page)).encode())]
        for name, value in start["headers"]:
            lower = name.lower()
            if lower == b"etag":  # another body, another tag: no browser reuses a stale page
                value = value.rstrip(b'"') + b"-" + hashlib.sha1(style).hexdigest()[:12].encode()
                value += b'"'
            if lower not in (b"content-length", b"accept-ranges"):
                headers.append((name, value))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": page})
