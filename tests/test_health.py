import pytest

from media_monitor.storage.health import MAX_BACKOFF_SECONDS, is_stale, next_interval


def run(status="ok", listed=5):
    return {"status": status, "listed": listed}


@pytest.mark.parametrize(
    "runs, stale",
    [
        ([run(), run(), run()], False),
        ([run(listed=0), run(listed=0), run(listed=0)], True),  # a dead feed
        ([run("failed", 0), run("failed", 3), run(listed=0)], True),  # only errors or nothing
        ([run(listed=0), run(listed=0), run()], False),  # the third run brought articles
        ([run(listed=0), run(listed=0)], False),  # too few runs to judge
        ([run(listed=0)] * 3 + [run()], True),  # older runs do not matter
    ],
)
def test_is_stale(runs, stale):
    assert is_stale(runs) is stale


@pytest.mark.parametrize(
    "current, new, failed, failures, expected",
    [
        (3600, 4, False, 0, 1800),  # new articles: sooner
        (1800, 4, False, 0, 1800),  # but not below half the base
        (3600, 0, False, 0, 5400),  # nothing new: later
        (28800, 0, False, 0, 28800),  # but at most 8 times the base
        (None, 0, False, 0, 5400),  # first run: from the base
        (3600, 0, True, 1, 7200),  # failing: exponential backoff
        (3600, 0, True, 4, 57600),
        (3600, 0, True, 10, MAX_BACKOFF_SECONDS),  # capped
    ],
)
def test_next_interval(current, new, failed, failures, expected):
    assert next_interval(current, 3600, new, failed, failures) == expected
