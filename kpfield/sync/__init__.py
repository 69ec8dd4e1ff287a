"""The field client's side of sync, Qt-free and store-free: an HTTP transport that signs every
request (RFC 9421), a resumable tus uploader with backoff and a link estimate, and the relay's
other endpoints. Callers (``kpfield.services.sync``/``pull``) do the vault work between calls."""
