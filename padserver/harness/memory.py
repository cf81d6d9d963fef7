"""What the engine's blocks allocate and keep: the realtime rule, measured (tests and benchmarks)."""

from __future__ import annotations

import tracemalloc


def grown_in_blocks(engine, blocks: int = 200, n: int = 256) -> int:
    """Bytes the engine's blocks allocated and kept (after 20 blocks to settle): the callback's growth."""
    for _ in range(20):
        engine.process(n)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(blocks):
        engine.process(n)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    return sum(s.size_diff for s in after.compare_to(before, "filename") if s.size_diff > 0)
