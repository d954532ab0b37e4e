"""Who is calling: a session cookie (web UI, portal) or a bearer API token, checked by identity.

Permissions are checked here (and again in every service).
"""

from __future__ import annotations

import contextlib
import functools
import uuid

from flask import current_app, g, redirect, request, session, url_for

from gateway.rpc import services
from kit.errors import DomainError, PermissionDenied, Unauthenticated
from kit.permissions import refusal as permissions_refusal

SESSION_KEY = "sid"


def _authenticate(kind: str, token: str) -> dict:
    """identity's answer for a session or API token, or the one it gave a moment ago
    (gateway.principal_cache: at most AUTH_CACHE_SECONDS old, asked again in the background
    once half that old); Unauthenticated is never kept."""
    cache = current_app.extensions["principal_cache"]
    found = cache.get(kind, token)
    if found is None:
        asked_at, generation = cache.clock(), cache.generation
        found = getattr(services.identity, f"authenticate_{kind}")(token)
        cache.put(kind, token, found, asked_at, generation)
    elif cache.due_for_refresh(kind, token):
        cache.refresh_soon(
            kind, token, functools.partial(_ask_identity, current_app._get_current_object())
        )
    return found


def _ask_identity(app, kind: str, token: str) -> dict:
    """identity's answer, asked outside any request (the principal cache's refresh)."""
    with app.app_context():
        g.request_id = uuid.uuid4().hex
        return getattr(services.identity, f"authenticate_{kind}")(token)


def load_principal() -> None:
    """Authenticate the request, if it carries credentials; sets g.principal (or None)."""
    g.principal = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        # A wrong token is an error, not an anonymous call: integrators must hear about it.
        g.principal = _authenticate("api_token", header[7:].strip())
        g.auth_method = "token"
        return
    token = session.get(SESSION_KEY)
    if token:
        try:
            g.principal = _authenticate("session", token)
            g.auth_method = "session"
        except Unauthenticated:
            session.pop(SESSION_KEY, None)


def start_session(session_token: str) -> None:
    """A new session id at every login (no fixation): the old cookie's content is dropped."""
    session.clear()
    session[SESSION_KEY] = session_token
    session.permanent = True


def end_session() -> str | None:
    token = session.get(SESSION_KEY)
    session.clear()
    if token:
        current_app.extensions["principal_cache"].forget("session", token)
    return token


def sign_out() -> None:
    """End the session here and in identity (the pages' logout).

    The cookie is gone either way, and a session identity has already ended needs no ending.
    """
    token = end_session()
    if token:
        with contextlib.suppress(DomainError):
            services.identity.logout(token)


def principal() -> dict | None:
    return g.get("principal")


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def _deny_anonymous(portal: bool):
    if is_api_request():
        raise Unauthenticated("Sign in first: send 'Authorization: Bearer <API token>'.")
    login = "portal.login" if portal else "auth.login"
    return redirect(url_for(login, next=request.full_path.rstrip("?")))


def login_required(view):
    """A team user (not a portal contact) must be signed in."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        who = principal()
        if who is None:
            return _deny_anonymous(portal=False)
        if who.get("kind") != "user":
            raise PermissionDenied("This page is for the agency's team; use the client portal.")
        return view(*args, **kwargs)

    return wrapped


def require(*permissions: str) -> None:
    """PermissionDenied, naming what is missing, unless the signed-in user holds every one."""
    held = set((principal() or {}).get("permissions") or ())
    missing = [p for p in permissions if p not in held]
    if missing:
        raise PermissionDenied(permissions_refusal(missing), {"permission": missing})


def permission_required(*permissions: str):
    """A signed-in team user holding every permission named."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            require(*permissions)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def portal_login_required(view):
    """A client-portal contact must be signed in."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        who = principal()
        if who is None or who.get("kind") != "contact":
            return _deny_anonymous(portal=True)
        return view(*args, **kwargs)

    return wrapped


def can(permission: str) -> bool:
    """For templates: does the signed-in user hold `permission`?"""
    who = principal()
    return bool(who) and permission in (who.get("permissions") or ())
