"""What the client knows about its link: round-trip time, throughput, how often it breaks.

Every size and timeout follows from these, never from fixed constants that suit one network:

* **Chunk size.** A PATCH is all-or-nothing, so an interruption loses the chunk in flight, and
  each PATCH costs one round trip of waiting. Young's checkpoint interval
  ``sqrt(2 × RTT × mean time between interruptions)`` balances the two; the chunk is what the
  measured throughput moves in that time, clamped to [64 KiB, the relay's PATCH cap], growing
  at most twofold per chunk and halving after each interruption.
* **Stall timeout.** How long a single socket read or write may make no progress: several round
  trips and several times what one 64 KiB piece takes at the measured rate, within
  [``min_stall``, ``max_stall``]. Tor needs tens of seconds; nothing waits forever.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

KIB = 1024
PIECE = 64 * KIB  # what the uploader hands the socket at a time (progress and cancel points)
PRIOR_MTBI = 120.0  # seconds


@dataclass
class Link:
    min_chunk: int = 64 * KIB
    max_chunk: int = 16 << 20
    first_chunk: int = 256 * KIB
    min_stall: float = 15.0
    max_stall: float = 120.0
    max_chunk_seconds: float = 30.0
    rtt: float | None = None
    throughput: float | None = None  # bytes per second, smoothed
    connected_seconds: float = 0.0
    interruptions: int = 0
    _chunk: int = 0

    def __post_init__(self) -> None:
        self._chunk = max(self.min_chunk, min(self.first_chunk, self.max_chunk))

    def observe_rtt(self, seconds: float) -> None:
        """A small request's round trip (HEAD, POST, OPTIONS)."""
        seconds = max(seconds, 1e-3)
        self.rtt = seconds if self.rtt is None else 0.7 * self.rtt + 0.3 * seconds
        self.connected_seconds += seconds

    def observe_chunk(self, sent: int, seconds: float) -> None:
        """A PATCH of ``sent`` bytes that was answered after ``seconds``."""
        seconds = max(seconds, 1e-3)
        self.connected_seconds += seconds
        rate = sent / seconds
        self.throughput = rate if self.throughput is None else 0.5 * self.throughput + 0.5 * rate
        # Grow at most twofold per answered chunk: one good chunk says little about the next.
        target = int(self.throughput * self.chunk_seconds())
        self._chunk = self._clamp(min(target, 2 * self._chunk))

    def interrupted(self, after_seconds: float = 0.0) -> None:
        """A request failed mid-way: count it, and halve the next chunk until the link proves
        itself again (the measured rate then sizes it back up)."""
        self.connected_seconds += max(after_seconds, 0.0)
        self.interruptions += 1
        self._chunk = self._clamp(self._chunk // 2)

    def chunk_seconds(self) -> float:
        rtt = self.rtt if self.rtt is not None else 0.5
        # A prior of one interruption per PRIOR_MTBI seconds: a link not yet seen to fail is
        # not trusted to hold forever; the estimate follows the observed link as time passes.
        mtbi = (self.connected_seconds + PRIOR_MTBI) / (self.interruptions + 1)
        return min(self.max_chunk_seconds, max(1.0, math.sqrt(2 * rtt * max(mtbi, rtt))))

    def chunk_size(self) -> int:
        return self._chunk

    def stall_timeout(self) -> float:
        rtt = self.rtt if self.rtt is not None else 1.0
        wait = 8 * rtt
        if self.throughput:
            wait = max(wait, 8 * PIECE / self.throughput)
        return min(self.max_stall, max(self.min_stall, wait))

    def _clamp(self, size: int) -> int:
        size = max(self.min_chunk, min(size, self.max_chunk))
        return 1 << (size.bit_length() - 1)  # a power of two: stable across small rate changes


@dataclass
class Backoff:
    """Exponential backoff with full jitter: attempt n waits U(0, min(cap, base·2^(n-1)))."""

    base: float = 1.0
    cap: float = 60.0
    rand: Callable[[], float] = field(default=random.random)

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap, self.base * (2 ** max(attempt - 1, 0)))
        return float(ceiling * self.rand())
