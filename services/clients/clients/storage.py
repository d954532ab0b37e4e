"""Where request attachments' bytes live: an S3 bucket, through boto3, so production can use any
S3-compatible store and development and the tests use moto's server (deploy/stack.py).

Configuration (config.yaml): `S3_ENDPOINT_URL` (empty: AWS itself), `S3_BUCKET`, `S3_REGION`,
`S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`, `S3_CREATE_BUCKET` (make a missing bucket at start).
Every call has a timeout (boto3's own connect/read timeouts), and none is made inside an open
database transaction (attachments.py stores the bytes first, then records them).
"""

from __future__ import annotations

import logging

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from nameko.extensions import DependencyProvider

from kit.errors import ServiceUnavailable

log = logging.getLogger(__name__)

# A download link the gateway follows at once: it need not live long.
LINK_SECONDS = 60
TIMEOUTS = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2})


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The file store cannot be reached just now; please try again in a moment.",
        {"service": "file_store"},
    )


class FileStore:
    """Put objects in one bucket and hand out short links to them."""

    def __init__(self, config: dict):
        self.bucket = config.get("S3_BUCKET") or "agency-attachments"
        # development and tests: a store that came up after the service gets its bucket on the
        # first upload
        flag = str(config.get("S3_CREATE_BUCKET", "")).lower()
        self.create_bucket = flag in ("1", "true", "yes")
        self.client = boto3.client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or "us-east-1",
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            config=TIMEOUTS,
        )

    def ensure_bucket(self) -> None:
        """Make the bucket if it is missing (development and tests)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            try:
                self._put(key, data, content_type)
            except ClientError as exc:
                if not self.create_bucket or _code(exc) != "NoSuchBucket":
                    raise
                self.ensure_bucket()
                self._put(key, data, content_type)
        except (BotoCoreError, ClientError) as exc:
            log.warning("could not store %s: %s", key, exc)
            raise _unavailable() from None

    def _put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def link(self, key: str, filename: str, content_type: str) -> str:
        """A presigned GET valid LINK_SECONDS, answering as a download of `filename`."""
        # ASCII only in the store's header; the gateway answers with the real name (RFC 6266)
        quoted = "".join(c if " " <= c < "\x7f" and c not in '"\\' else "_" for c in filename)
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentType": content_type,
                "ResponseContentDisposition": f'attachment; filename="{quoted}"',
            },
            ExpiresIn=LINK_SECONDS,
        )


class Storage(DependencyProvider):
    """The service's FileStore, made when the container starts."""

    def setup(self) -> None:
        self.store = FileStore(self.container.config)
        if self.store.create_bucket:
            try:
                self.store.ensure_bucket()
            except (BotoCoreError, ClientError) as exc:
                # The store may come up after the service: the first upload says so if not.
                log.warning("could not check the attachments bucket: %s", exc)

    def get_dependency(self, worker_ctx) -> FileStore:
        return self.store
