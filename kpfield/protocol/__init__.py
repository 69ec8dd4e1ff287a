"""Signed documents and request signatures that cross field, relay and HQ: bytes and keys only."""
