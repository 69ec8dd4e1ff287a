"""Logging that never carries content: a formatter that drops arguments that look like text."""

from __future__ import annotations

import logging
import sys


class RedactingFormatter(logging.Formatter):
    """Log records carry ids and counts only; a string argument longer than an id is hidden."""

    MAX_ARG = 40

    def format(self, record: logging.LogRecord) -> str:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(
                "[redacted]" if isinstance(a, str) and len(a) > self.MAX_ARG else a for a in args
            )
        record.exc_text = None
        if record.exc_info:
            # Tracebacks can hold content in locals' reprs: keep the type only.
            etype = record.exc_info[0]
            record.msg = f"{record.msg} ({etype.__name__ if etype else 'error'})"
            record.exc_info = None
        return super().format(record)


def install(level: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library warnings (e.g. Pillow's decompression-bomb warning, which we turn into a clear
    # refusal anyway) are for developers: route them to logging, shown only in verbose mode.
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").setLevel(
        logging.DEBUG if level <= logging.DEBUG else logging.ERROR
    )


def configure(verbose: bool = False) -> None:
    """Log ids and counts to stderr: warnings only, or everything with ``-v``."""
    install(logging.DEBUG if verbose else logging.WARNING)
