"""The link estimate: chunks follow the measured rate and interruptions; stalls follow the RTT."""

from __future__ import annotations

from kpfield.sync.link import Backoff, Link


def test_chunks_grow_on_a_good_link_and_shrink_after_interruptions() -> None:
    link = Link(max_chunk=16 << 20)
    link.observe_rtt(0.05)
    sizes = []
    for _ in range(12):
        size = link.chunk_size()
        link.observe_chunk(size, size / 2e6)  # a steady 2 MB/s
        sizes.append(link.chunk_size())
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    assert all(b <= 2 * a for a, b in zip(sizes, sizes[1:], strict=False))
    before = link.chunk_size()
    for _ in range(5):
        link.interrupted(3.0)
    assert link.chunk_size() <= before // 16
    # The chunk now fits well inside the mean time between interruptions.
    link.observe_chunk(link.chunk_size(), link.chunk_size() / 2e6)
    assert link.chunk_size() / 2e6 < 10


def test_stall_timeout_follows_the_link_within_bounds() -> None:
    fast = Link(min_stall=15, max_stall=120)
    fast.observe_rtt(0.02)
    fast.observe_chunk(1 << 20, 0.1)
    assert fast.stall_timeout() == 15  # never below the floor (Tor needs it)
    tor = Link(min_stall=15, max_stall=120)
    tor.observe_rtt(4.0)
    assert tor.stall_timeout() == 32  # 8 round trips
    crawl = Link(min_stall=15, max_stall=120)
    crawl.observe_chunk(64 << 10, 60.0)  # ~1 kB/s
    assert crawl.stall_timeout() == 120  # capped: nothing waits forever


def test_backoff_is_exponential_with_full_jitter_and_a_cap() -> None:
    top = Backoff(base=1.0, cap=60.0, rand=lambda: 1.0)
    assert [top.delay(n) for n in (1, 2, 3, 7, 20)] == [1.0, 2.0, 4.0, 60.0, 60.0]
    assert Backoff(rand=lambda: 0.0).delay(5) == 0.0
