"""Make text from outside (file names, device names, reasons quoting them) safe to show.

A name on a hostile stick can hold ESC sequences, carriage returns, newlines, bidi overrides or
invisible characters that redraw a terminal line, add a fake line to a summary, or make a name
read as another. :func:`safe_text` replaces each such character with a visible escape
(``\\x1b``, ``\\u202e``) and doubles backslashes, so what is shown is unambiguous and one line.
"""

from __future__ import annotations

import unicodedata

# Unicode categories that are never shown as themselves: controls, format characters (bidi
# overrides, zero-width joiners, BOM), surrogates, private use, unassigned, and line or
# paragraph separators.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Shown as themselves although their category is not in the set above: invisible or blank in
# most fonts, so a name could hide behind them.
_INVISIBLE = frozenset({"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e"})


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def is_unsafe_char(ch: str) -> bool:
    return ch in _INVISIBLE or unicodedata.category(ch) in _UNSAFE_CATEGORIES


def safe_text(text: str) -> str:
    """``text`` with every control, format, bidi, separator or invisible character escaped."""
    if text.isprintable() and "\\" not in text and not any(c in _INVISIBLE for c in text):
        return text  # the common case, and isprintable() already rejects Cc/Cf/Zl/Zp/Cs/Co/Cn
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif is_unsafe_char(ch):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)
