"""Helpers shared by the functional tests and the benchmarks (not collected as tests)."""
