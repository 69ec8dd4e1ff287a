"""Signed documents that cross between field laptops, the relay and HQ. Bytes and keys only.

Nothing here touches a vault, a database, Qt or Pillow: the relay imports this package too.
Every document is canonical JSON ``{"<kind>": {...}, "signature": "<minisign text>"}`` and goes
through one parse-and-verify path, :mod:`kpfield.protocol.signed`.
"""
