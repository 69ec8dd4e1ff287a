"""Bech32 (BIP 173 checksum, no length limit) as age uses it for keys.

age lifts BIP 173's 90-character limit and keeps the human-readable part's case as written, so a
caller can insist on ``age`` (lower case) for recipients and ``AGE-SECRET-KEY-`` (upper case) for
identities. Mixed-case strings are always rejected.
"""

from __future__ import annotations

from kpfield.errors import N_, CryptoError

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_CHECKSUM_LEN = 6


def _polymod(values: list[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ value
        for i, gen in enumerate(_GENERATOR):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or ((acc << (to_bits - bits)) & maxv):
        raise CryptoError(N_("Invalid key encoding: bad padding."))
    return out


def encode(hrp: str, data: bytes) -> str:
    """Encode ``data`` under ``hrp``; the result keeps the (unmixed) case of ``hrp``."""
    if hrp.lower() != hrp and hrp.upper() != hrp:
        raise CryptoError(N_("Invalid key encoding: mixed case."))
    lower = hrp.lower()
    values = _convert_bits(data, 8, 5, pad=True)
    polymod = _polymod([*_hrp_expand(lower), *values, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(_CHECKSUM_LEN)]
    text = lower + "1" + "".join(_CHARSET[v] for v in values + checksum)
    return text.upper() if hrp.upper() == hrp and hrp.lower() != hrp else text


def decode(text: str) -> tuple[str, bytes]:
    """Return ``(hrp, data)``; ``hrp`` keeps the case it was written in. Raises CryptoError."""
    if text.lower() != text and text.upper() != text:
        raise CryptoError(N_("Invalid key encoding: mixed case."))
    pos = text.rfind("1")
    if pos < 1 or pos + _CHECKSUM_LEN + 1 > len(text):
        raise CryptoError(N_("Invalid key encoding: misplaced separator."))
    hrp = text[:pos]
    if any(ord(c) < 33 or ord(c) > 126 for c in hrp):
        raise CryptoError(N_("Invalid key encoding: bad prefix character."))
    values: list[int] = []
    for c in text[pos + 1 :].lower():
        index = _CHARSET.find(c)
        if index < 0:
            raise CryptoError(N_("Invalid key encoding: bad character."))
        values.append(index)
    if _polymod([*_hrp_expand(hrp.lower()), *values]) != 1:
        raise CryptoError(N_("Invalid key encoding: bad checksum."))
    return hrp, bytes(_convert_bits(values[:-_CHECKSUM_LEN], 5, 8, pad=False))
