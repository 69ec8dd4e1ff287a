"""The HQ tests use the same small world as the bundle tests (an HQ vault, one enrolled laptop)."""

from tests.bundle.conftest import field_s, hq

__all__ = ["field_s", "hq"]
