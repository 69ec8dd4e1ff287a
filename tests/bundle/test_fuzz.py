"""Property-based: random mutations of a valid bundle are rejected and import nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpfield.app import Session
from kpfield.hq import intake
from tests.bundle.world import EMPTY, export, hq_counts, seal_report, stick

mutations = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1, exclude_max=True), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.floats(0, 1, exclude_max=True), st.just(0)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.floats(0, 1, exclude_max=True), st.integers(1, 600)),
    st.tuples(st.just("append"), st.just(1.0), st.integers(0, 255)),
)


def mutate(data: bytes, kind: str, where: float, value: int) -> bytes:
    if not data:  # an earlier step cut everything: only adding bytes is still possible
        return bytes([value % 256])
    i = min(int(where * len(data)), len(data) - 1)
    if kind == "flip":
        return data[:i] + bytes([data[i] ^ value]) + data[i + 1 :]
    if kind == "cut":
        return data[:i]
    if kind == "insert":
        return data[:i] + bytes([value]) + data[i:]
    if kind == "delete":
        return data[:i] + data[i + value :]
    return data + bytes([value])


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(mutations, min_size=1, max_size=3))
def test_random_mutations_are_rejected(
    tmp_path: Path,
    hq: Session,
    field_s: Session,
    example_doc: dict[str, Any],
    steps: list[tuple[str, float, int]],
) -> None:
    folder = tmp_path / "stick"
    if not folder.exists():
        seal_report(field_s, example_doc, photos=1)
        export(field_s, stick(tmp_path))
    [original] = list(folder.iterdir())
    data = original.read_bytes()
    for kind, where, value in steps:
        data = mutate(data, kind, where, value)
    if data == original.read_bytes():
        return
    target = tmp_path / "mutated"
    target.write_bytes(data)
    result = hq.hq().intake.import_paths([target])
    assert [o.status for o in result.outcomes] == [intake.REJECTED]
    assert result.outcomes[0].reason
    assert hq_counts(hq) == EMPTY
