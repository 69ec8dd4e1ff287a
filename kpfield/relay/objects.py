"""Bundle bytes in S3-compatible object storage (AWS S3, SeaweedFS, Ceph RGW, Garage, ...).

One object per completed bundle, ``<prefix>bundles/<bundle id>``, written by a multipart upload
whose parts the PostgreSQL ledger records. Credentials come from the standard AWS environment
variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``) or boto3's other
usual sources, never from the URL. Every part is sent with its ``Content-MD5`` so the store
refuses a body damaged on the way.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from kpfield.errors import N_, UsageError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# S3's rules: every part but the last at least 5 MiB, at most 10,000 parts per upload.
MIN_PART_BYTES = 5 << 20
MAX_PARTS = 10_000
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}


class ObjectMissing(Exception):
    """The object (or multipart upload) is not in the store."""


@dataclass
class Spool:
    """Bytes on their way to the store, in an unnamed temporary file (never linked into a
    directory, so even a node killed mid-PATCH leaves nothing behind) with their MD5 kept as
    they arrive: a relay node's memory no longer grows with the number of uploads in progress.
    The bytes are ciphertext; the file only spares RAM."""

    directory: str | None = None
    size: int = 0
    file: IO[bytes] = field(init=False)
    _md5: hashlib._Hash = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.file = tempfile.TemporaryFile(dir=self.directory)  # noqa: SIM115 (closed by close())
        self._md5 = hashlib.md5()  # noqa: S324 (wire check, see _md5)

    def write(self, data: bytes | memoryview) -> None:
        self.file.write(data)
        self._md5.update(data)
        self.size += len(data)

    def content_md5(self) -> str:
        return base64.b64encode(self._md5.digest()).decode("ascii")

    def rewind(self) -> IO[bytes]:
        self.file.flush()
        self.file.seek(0)
        return self.file

    def pieces(self, start: int, piece: int) -> Iterator[tuple[int, bytes]]:
        """``(offset, bytes)`` from ``start`` to the end, at most ``piece`` bytes each."""
        self.file.flush()
        self.file.seek(start)
        at = start
        while data := self.file.read(min(piece, self.size - at)):
            yield at, data
            at += len(data)

    def clear(self) -> None:
        self.file.seek(0)
        self.file.truncate()
        self.size = 0
        self._md5 = hashlib.md5()  # noqa: S324 (wire check)

    def close(self) -> None:
        self.file.close()


def _body(data: bytes | Spool) -> tuple[bytes | IO[bytes], str, int]:
    if isinstance(data, Spool):
        return data.rewind(), data.content_md5(), data.size
    return data, _md5(data), len(data)


@dataclass(frozen=True)
class ObjectsUrl:
    bucket: str
    prefix: str
    endpoint: str | None
    region: str | None

    @classmethod
    def parse(cls, url: str) -> ObjectsUrl:
        """``s3://BUCKET[/PREFIX]?endpoint=URL[&region=R]``."""
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.scheme != "s3" or not parts.hostname or parts.username or parts.password:
            raise UsageError(
                N_("--objects takes s3://BUCKET?endpoint=URL (credentials from AWS_* variables).")
            )
        prefix = parts.path.strip("/")
        return cls(
            bucket=parts.netloc,
            prefix=f"{prefix}/" if prefix else "",
            endpoint=query.get("endpoint"),
            region=query.get("region"),
        )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")  # noqa: S324 (wire check)


class ObjectStore:
    """A thin, typed layer over one bucket; boto3 clients are safe to share between threads."""

    def __init__(self, url: ObjectsUrl, max_connections: int = 32) -> None:
        self.url = url
        config = Config(
            s3={"addressing_style": "path"},
            # Recent boto3 adds CRC32 trailers by default, which several S3-compatible stores
            # reject; Content-MD5 per part plus the whole-bundle SHA-256 cover integrity.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"mode": "standard", "max_attempts": 5},
            max_pool_connections=max_connections,
            connect_timeout=10,
            read_timeout=60,
        )
        self.client: S3Client = boto3.client(
            "s3", endpoint_url=url.endpoint, region_name=url.region or "us-east-1", config=config
        )

    def key(self, bundle_id: str) -> str:
        return f"{self.url.prefix}bundles/{bundle_id}"

    def ensure_bucket(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.url.bucket)
            return
        except ClientError as exc:
            if _code(exc) not in _MISSING and _code(exc) != "NoSuchBucket":
                raise UsageError(
                    N_("The bucket {bucket} cannot be used: {code}."),
                    bucket=self.url.bucket,
                    code=_code(exc),
                ) from None
        except BotoCoreError as exc:
            raise UsageError(
                N_("The object store cannot be reached: {why}."), why=type(exc).__name__
            ) from None
        self.client.create_bucket(Bucket=self.url.bucket)

    def start_multipart(self, bundle_id: str) -> str:
        answer = self.client.create_multipart_upload(
            Bucket=self.url.bucket, Key=self.key(bundle_id)
        )
        return answer["UploadId"]

    def upload_part(
        self, bundle_id: str, upload_id: str, number: int, data: bytes | Spool
    ) -> str:
        body, md5, size = _body(data)
        try:
            answer = self.client.upload_part(
                Bucket=self.url.bucket,
                Key=self.key(bundle_id),
                UploadId=upload_id,
                PartNumber=number,
                Body=body,
                ContentMD5=md5,
                ContentLength=size,
            )
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise ObjectMissing(bundle_id) from None
            raise
        return answer["ETag"]

    def complete_multipart(
        self, bundle_id: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> None:
        try:
            self.client.complete_multipart_upload(
                Bucket=self.url.bucket,
                Key=self.key(bundle_id),
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]},
            )
        except ClientError as exc:
            if _code(exc) in {*_MISSING, "InvalidPart", "InvalidPartOrder", "EntityTooSmall"}:
                raise ObjectMissing(bundle_id) from None
            raise

    def abort_multipart(self, bundle_id: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(
                Bucket=self.url.bucket, Key=self.key(bundle_id), UploadId=upload_id
            )
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                raise

    def put(self, bundle_id: str, data: bytes | Spool) -> None:
        body, md5, size = _body(data)
        self.client.put_object(
            Bucket=self.url.bucket,
            Key=self.key(bundle_id),
            Body=body,
            ContentMD5=md5,
            ContentLength=size,
        )

    def size(self, bundle_id: str) -> int | None:
        """The stored object's size, or None when there is no such object."""
        try:
            answer = self.client.head_object(Bucket=self.url.bucket, Key=self.key(bundle_id))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise
        return int(answer["ContentLength"])

    def read(self, bundle_id: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        try:
            answer = self.client.get_object(Bucket=self.url.bucket, Key=self.key(bundle_id))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise ObjectMissing(bundle_id) from None
            raise
        body = answer["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def delete(self, bundle_id: str) -> None:
        self.client.delete_object(Bucket=self.url.bucket, Key=self.key(bundle_id))
