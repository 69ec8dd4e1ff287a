"""Cryptographic formats: STREAM chunks, age v1 envelopes, minisign-format signatures, key ids."""
