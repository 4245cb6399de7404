"""The live feed numbers its messages, gives a returning listener what it missed, and
resets one whose missed messages are gone or that fell behind."""

from __future__ import annotations

from gateway.core.feed import AlertFeed


async def test_a_returning_listener_gets_what_it_missed_in_order() -> None:
    feed = AlertFeed(backlog=10)
    for n in range(5):
        feed.publish({"type": "alert", "n": n})
    async with feed.listen(after=3) as queue:  # seen up to the 3rd (n=2)
        assert [queue.get_nowait()["n"] for _ in range(2)] == [3, 4]
        feed.publish({"type": "alert", "n": 5})
        assert queue.get_nowait() == {"type": "alert", "n": 5, "seq": 6}


async def test_a_listener_whose_missed_messages_are_gone_is_reset() -> None:
    feed = AlertFeed(backlog=3)
    for n in range(6):
        feed.publish({"type": "alert", "n": n})
    async with feed.listen(after=1) as queue:
        assert queue.get_nowait() == {"type": "reset", "seq": 6}
        assert queue.empty()
    async with feed.listen(after=99) as queue:  # an id from before a restart
        assert queue.get_nowait()["type"] == "reset"


async def test_a_listener_that_falls_behind_is_reset_not_silently_thinned() -> None:
    feed = AlertFeed(backlog=3)
    async with feed.listen() as queue:
        for n in range(5):
            feed.publish({"type": "alert", "n": n})
        got = [queue.get_nowait() for _ in range(queue.qsize())]
    assert got[0]["type"] == "reset"
    assert [m["n"] for m in got[1:]] == [4]
