"""Bundle sequence numbers as people read them: ``3, 5-9, 12``."""

from __future__ import annotations

from collections.abc import Sequence


def format_ranges(numbers: Sequence[int]) -> str:
    """Sorted, distinct numbers written as ranges (``[3, 5, 6, 7]`` → ``"3, 5-7"``)."""
    if not numbers:
        return ""
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)
