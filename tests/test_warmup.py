"""The server's start-up work and the first model load's wait for the page's files, without a
server: a fake clock drives the wait, and the middleware is called as ASGI would call it."""

from __future__ import annotations

import asyncio

import pytest

from dashboard.warmup import PageFilesWatch, RequestActivity


class FakeClock:
    """A clock that moves only when slept on, replaying page-file requests at `activity_times`."""

    def __init__(self, activity_times=()):
        self.now, self.pending, self.activity = 0.0, sorted(activity_times), None

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        target = self.now + seconds
        # Requests that arrive during the sleep are seen as they happen.
        while self.pending and self.pending[0] <= target:
            self.now = self.pending.pop(0)
            self.activity.touch()
        self.now = target


def activity_with(times, start=None):
    clock = FakeClock(times)
    activity = RequestActivity(clock=clock, sleep=clock.sleep)
    clock.activity = activity
    if start is not None:
        clock.now = start
        activity.touch()
    return activity, clock


def test_no_page_files_ever_requested_means_no_wait():
    activity, clock = activity_with([])
    activity.wait_quiet(quiet=0.25, limit=2.0)
    assert clock.now == 0.0


def test_the_wait_ends_a_quiet_period_after_the_last_request():
    activity, clock = activity_with([0.1, 0.3, 0.5], start=0.0)
    activity.wait_quiet(quiet=0.25, limit=2.0)
    assert clock.now == pytest.approx(0.75)


def test_a_page_that_never_goes_quiet_is_waited_on_for_the_limit_only():
    activity, clock = activity_with([i * 0.1 for i in range(1, 100)], start=0.0)
    activity.wait_quiet(quiet=0.25, limit=2.0)
    assert clock.now == pytest.approx(2.0)


def test_a_request_long_past_means_no_wait():
    activity, clock = activity_with([], start=0.0)
    clock.now = 10.0
    activity.wait_quiet(quiet=0.25, limit=2.0)
    assert clock.now == 10.0


@pytest.mark.parametrize("kind, path, counted", [
    ("http", "/static/js/DataFrame.js", True),
    ("http", "/_stcore/health", False),
    ("http", "/", False),
    ("websocket", "/_stcore/stream", False),
])
def test_the_middleware_counts_page_file_requests_only(kind, path, counted, monkeypatch):
    from dashboard import warmup

    activity = RequestActivity(clock=lambda: 42.0)
    monkeypatch.setattr(warmup, "PAGE_FILES", activity)
    calls = []

    async def inner(scope, receive, send):
        calls.append(scope["path"])

    asyncio.run(PageFilesWatch(inner)({"type": kind, "path": path}, None, None))
    assert calls == [path]
    assert activity.last == (42.0 if counted else None)
