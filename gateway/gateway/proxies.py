"""Which caller headers to believe: only what a configured reverse proxy (TRUSTED_PROXIES) says.

Behind a proxy every request comes from the proxy's address; the client's is in
`X-Forwarded-For`. That header is believed only when the request comes straight from a trusted
proxy, one hop (werkzeug's ProxyFix: the last address the proxy appended, so a client's own
`X-Forwarded-For` entries to its left are ignored). From anyone else, it is the caller's
invention and the socket's address stands; the same holds for `X-Request-ID`.
"""

from __future__ import annotations

import ipaddress

from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

FROM_TRUSTED_PROXY = "gateway.from_trusted_proxy"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(text: str) -> tuple[Network, ...]:
    """`TRUSTED_PROXIES`: addresses or networks, comma separated ("10.0.0.5, 10.1.0.0/16")."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise RuntimeError(f"TRUSTED_PROXIES: {item!r} is not an address") from None
    return tuple(networks)


class TrustedProxies:
    """WSGI middleware: ProxyFix for requests from a trusted proxy, nothing for the rest."""

    def __init__(self, app, trusted: tuple[Network, ...]):
        self.app = app
        self.trusted = trusted
        self.behind_proxy = ProxyFix(app, x_for=1, x_proto=1)

    def __call__(self, environ, start_response):
        if self._is_trusted(environ.get("REMOTE_ADDR", "")):
            environ[FROM_TRUSTED_PROXY] = True
            return self.behind_proxy(environ, start_response)
        return self.app(environ, start_response)

    def _is_trusted(self, address: str) -> bool:
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(peer in network for network in self.trusted)


def from_trusted_proxy() -> bool:
    """Did the current request come straight from a trusted proxy?"""
    return bool(request.environ.get(FROM_TRUSTED_PROXY))
