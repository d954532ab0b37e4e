"""Flask's signed-cookie session, without its cost on requests that carry no session cookie.

Flask opens the session of every request, and opening it builds a signing serializer (key
derivation included) before it even looks for the cookie. An API call with a bearer token, a
health check or a first visit carries no session cookie: it gets an empty session straight
away (exactly what Flask would have answered), and the serializer is built once per secret key
(and fallbacks) rather than once per request.
"""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict = {}

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = self._serializers[key] = super().get_signing_serializer(app)
        return serializer

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
