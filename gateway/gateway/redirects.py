"""Where the gateway may send a browser back to: only a path on this site, never elsewhere."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (`//host`, schemes, `/\\t/host`, ...)."""
    if not target or any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("//"):
        return None
    return target


def local_referrer(referrer: str | None, host_url: str) -> str | None:
    """The Referer header's path when it points at this site, else None."""
    if not referrer or not referrer.startswith(host_url):
        return None
    return local_path("/" + referrer[len(host_url) :].lstrip("/"))
