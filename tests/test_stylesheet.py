"""The page's stylesheet: the bar each list row's key asks for, and the middleware that puts the
rules in the head of the HTML page (and leaves every other response alone)."""

from __future__ import annotations

import asyncio
import gzip
import re

import pytest
import streamlit as st

from dashboard.stylesheet import HeadStylesheet, page_css, share_key

PAGE = b"<!doctype html><html><head><title>x</title></head><body><div id='root'></div></body>"


def fills_for(css: str, class_name: str) -> list[int]:
    """The `--share` of every rule whose `[class*='...']` selector matches `class_name`, as a
    browser reads a substring-attribute selector."""
    return [int(percent) for pattern, percent in
            re.findall(r"\[class\*='([^']+)'\] \{--share: (\d+)%;\}", css)
            if pattern in class_name]


@pytest.mark.parametrize(("fraction", "ids", "percent"), [
    (1.0, ("sasrec", 50), 100), (0.04, ("gru4rec", 42), 4), (0.42, ("gru4rec", 4), 42),
    (0.0, ("two_tower", 100), 0), (0.999, ("sasrec", 1), 100), (0.426, ("sasrec", 7), 43),
    (float("nan"), ("sasrec", 9), 0), (-3.0, ("sasrec", 10), 0)])
def test_a_rows_key_selects_exactly_the_fill_of_its_share(fraction, ids, percent):
    # Streamlit writes a container's key as the class `st-key-<key>` among its own classes.
    classes = f"stVerticalBlock st-key-{share_key(fraction, *ids)} st-emotion-cache-15kaunn"
    assert fills_for(page_css(), classes) == [percent]


def test_keys_of_different_rows_differ_and_other_keys_draw_no_bar():
    keys = {share_key(0.5, "sasrec", movie) for movie in range(1, 11)}
    assert len(keys) == 10
    assert fills_for(page_css(), "stVerticalBlock st-key-promote-sasrec-42") == []
    assert fills_for(page_css(), "stVerticalBlock st-key-compact-list") == []


def test_a_theme_colour_that_is_not_a_colour_never_reaches_the_page(monkeypatch):
    options = {"theme.light.primaryColor": "red;} body {display: none",
               "theme.dark.primaryColor": "#ff6b9a", "theme.primaryColor": None}
    monkeypatch.setattr(st, "get_option", options.get)
    css = page_css()
    assert "display: none" not in css
    assert "light-dark(#ff4b4b, #ff6b9a)" in css


def inner_app(status=200, headers=(), chunks=(PAGE,), seen=None):
    """A stand-in for Streamlit's app: answers every request with `chunks` and notes the
    request headers it was given."""
    async def app(scope, receive, send):
        if seen is not None:
            seen.append(dict(scope["headers"]))
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-length", str(sum(map(len, chunks))).encode()),
                                *headers]})
        for index, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk,
                        "more_body": index < len(chunks) - 1})
    return app


def request(app, method="GET", headers=()) -> tuple[int, dict, bytes, int]:
    """Status, headers, body, and the number of body messages of one request through `app`."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": "/", "headers": list(headers)}
    asyncio.run(app(scope, receive, send))
    start, *bodies = sent
    return (start["status"], dict(start["headers"]), b"".join(m["body"] for m in bodies),
            len(bodies))


def test_the_html_page_gets_the_rules_in_its_head_with_a_matching_length_and_tag():
    html = [(b"content-type", b"text/html; charset=utf-8"), (b"etag", b'"abc"'),
            (b"accept-ranges", b"bytes")]
    status, headers, body, _ = request(
        HeadStylesheet(inner_app(headers=html, chunks=(PAGE[:30], PAGE[30:])), css=lambda: "p {}"))
    head, rest = body.split(b"</head>")
    assert status == 200 and head.endswith(b"<style id='recdemo-style'>\np {}\n</style>")
    assert head.count(b"<style") == 1 and rest == PAGE.split(b"</head>")[1]
    assert int(headers[b"content-length"]) == len(body)
    # Another body, another tag (a browser must not reuse Streamlit's page as this one);
    # no byte ranges of a page whose length changed.
    assert headers[b"etag"] not in (b'"abc"', b"") and b"accept-ranges" not in headers


def test_a_page_is_asked_for_whole_and_uncompressed_and_anything_else_as_asked():
    seen = []
    middleware = HeadStylesheet(inner_app(headers=[(b"content-type", b"text/html")], seen=seen))
    asked = [(b"accept-encoding", b"gzip"), (b"range", b"bytes=0-10")]
    request(middleware, headers=[(b"accept", b"text/html,application/xhtml+xml"), *asked])
    request(middleware, headers=[(b"accept", b"*/*"), *asked])
    assert set(seen[0]) == {b"accept"}
    assert seen[1] == {b"accept": b"*/*", **dict(asked)}


@pytest.mark.parametrize(("status", "headers", "chunks"), [
    (200, [(b"content-type", b"text/javascript")], (b"let a = '</head>';", b"1")),
    (200, [(b"content-type", b"text/html"), (b"content-encoding", b"gzip")],
     (gzip.compress(PAGE),)),
    (304, [(b"content-type", b"text/html")], (b"",)),
    (404, [(b"content-type", b"text/html")], (b"<html><head></head></html>",))])
def test_every_other_response_passes_through_as_it_came(status, headers, chunks):
    got = request(HeadStylesheet(inner_app(status, headers, chunks)))
    assert got == request(inner_app(status, headers, chunks))
    assert got[3] == len(chunks)  # still streamed, not held back


def test_other_methods_and_websockets_pass_through():
    calls = []

    async def app(scope, receive, send):
        calls.append(scope)

    for scope in ({"type": "websocket", "path": "/_stcore/stream", "headers": []},
                  {"type": "http", "method": "POST", "path": "/", "headers": [(b"a", b"b")]}):
        asyncio.run(HeadStylesheet(app)(scope, None, None))
        assert calls[-1] is scope

