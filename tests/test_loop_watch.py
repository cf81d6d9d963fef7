"""The event loop's watch: a loop that stops turning is reported with where it is stuck, and when it goes on."""

import asyncio
import logging
import time

from padserver.loop_watch import LoopWatch


def stuck_in_a_slow_call(caplog) -> None:
    """Hold the event loop until the watch has said so (bounded: a watch that never speaks fails the test)."""
    deadline = time.monotonic() + 30
    while "has not turned" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_stalled_event_loop_is_logged_with_where_it_is_and_how_long(caplog, capfd):
    caplog.set_level(logging.WARNING, logger="padserver.loop")

    async def main() -> LoopWatch:
        watch = LoopWatch(stall_s=0.3)
        watch.start()
        await asyncio.sleep(0.05)
        stuck_in_a_slow_call(caplog)
        await asyncio.sleep(0.3)  # (it turns again)
        watch.stop()
        return watch

    watch = asyncio.run(main())
    said = [r.getMessage() for r in caplog.records]
    assert any("has not turned" in m for m in said), said
    assert "stuck_in_a_slow_call" in capfd.readouterr().err  # (the stuck thread's stack)
    assert any("turns again after" in m for m in said), said
    assert watch.longest >= 0.3


def test_a_loop_that_turns_is_not_reported(caplog):
    caplog.set_level(logging.WARNING, logger="padserver.loop")

    async def main() -> None:
        watch = LoopWatch(stall_s=5.0)
        watch.start()
        for _ in range(10):
            await asyncio.sleep(0.02)
        watch.stop()

    asyncio.run(main())
    assert not caplog.records
