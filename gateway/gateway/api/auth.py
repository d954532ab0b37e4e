"""Signing up and in, passwords, the caller's own account and API tokens.

Signing up e-mails a link (the answer is the same whether or not the address has an account);
confirming it creates the agency. Confirming and login start a web session (the cookie) as the
web pages do; integrators then use a personal API token: the confirmation answers one (named
"signup") so a script can go on at once, and `POST /tokens` makes more.
"""

from __future__ import annotations

from flask import g, request

from gateway import auth
from gateway.api.base import api, json_body, query_args
from gateway.api.paging import PageQuery, page_of
from gateway.api.schemas import (
    ChangePasswordRequest,
    ForgotPasswordRequest,
    InvitationAcceptRequest,
    LoginRequest,
    ResetPasswordRequest,
    SignupConfirmRequest,
    SignupRequest,
    TokenCreateRequest,
)
from gateway.auth import login_required
from gateway.read_only import allowed_when_read_only
from gateway.rpc import services

# Answers that carry a token's secret must not be kept by any cache.
NO_STORE = {"Cache-Control": "no-store"}
SIGNUP_MESSAGE = (
    "Check your e-mail: we have sent a link to finish signing up. It works once, for a day."
)
FORGOT_MESSAGE = (
    "If an account uses this e-mail address, a link to reset its password is on its way."
)


@api.post("/auth/signup")
def signup():
    """Ask for an agency: a link to create it is e-mailed to the owner's address.
    ---
    post:
      tags: [auth]
      summary: Sign up (14-day trial); the e-mailed link creates the agency
      security: []
      requestBody: SignupRequest
      responses:
        202:
          description: "Check your e-mail (the same answer whether or not the address has an
            account; if it has, its owner gets a notice instead of a link)"
          schema: Message
        422: A field is missing or invalid, or the password is too weak
    """
    body = json_body(SignupRequest)
    services.identity.request_signup(**body)
    return {"message": SIGNUP_MESSAGE}, 202


@api.post("/auth/signup/confirm")
def confirm_signup():
    """Create the agency with the token from the signup e-mail; you are signed in.
    ---
    post:
      tags: [auth]
      summary: Confirm a signup (creates the agency and its owner, signed in)
      security: []
      requestBody: SignupConfirmRequest
      responses:
        201:
          description: The new agency, its owner (signed in) and an API token named "signup"
          schema: Signup
        404: The link is unknown, used or expired
        409: The address has an account by now
    """
    body = json_body(SignupConfirmRequest)
    result = services.identity.confirm_signup(body["token"], ip=request.remote_addr)
    auth.start_session(result["session_token"])
    g.principal = result["principal"]
    token = services.identity.create_api_token("signup")
    body = {"agency": result["agency"], "user": result["principal"], "token": token}
    return body, 201, NO_STORE


@api.post("/auth/invitations/accept")
def accept_invitation():
    """Confirm your address with the token e-mailed to it when you were added to a team (or your
    address was changed), choosing a password if you have none; you are signed in.
    ---
    post:
      tags: [auth]
      summary: Accept an invitation / confirm your address (signed in)
      security: []
      requestBody: InvitationAcceptRequest
      responses:
        200: {description: "Confirmed and signed in; the session cookie is set", schema: Login}
        409: The address has an account (in another agency) by now
        422: The link is unknown, used or expired, or a password is needed
    """
    body = json_body(InvitationAcceptRequest)
    result = services.identity.accept_user_invitation(body["token"], body.get("password"))
    auth.start_session(result["session_token"])
    return {"user": result["principal"]}, 200, NO_STORE


@api.post("/auth/login")
@allowed_when_read_only
def login():
    """Sign in with e-mail and password; sets the session cookie.
    ---
    post:
      tags: [auth]
      summary: Sign in (starts a session cookie; for scripts, create an API token next)
      security: []
      requestBody: LoginRequest
      responses:
        200: {description: Signed in; the session cookie is set, schema: Login}
        401: Wrong e-mail or password, or the account is inactive
        429: Too many failed attempts; the message says when to try again
    """
    body = json_body(LoginRequest)
    result = services.identity.login(body["email"], body["password"], request.remote_addr)
    auth.start_session(result["session_token"])
    return {"user": result["principal"]}


@api.post("/auth/logout")
@allowed_when_read_only
def logout():
    """End the web session (an API token stays valid until revoked).
    ---
    post:
      tags: [auth]
      summary: End the current session
      responses:
        204: Signed out
    """
    token = auth.end_session()
    if token:
        services.identity.logout(token)
    return "", 204


@api.post("/auth/password/forgot")
def forgot_password():
    """E-mail a password reset link; the same answer whether or not the address is known.
    ---
    post:
      tags: [auth]
      summary: Request a password reset e-mail
      security: []
      requestBody: ForgotPasswordRequest
      responses:
        202: {description: Accepted (the same answer for unknown addresses), schema: Message}
    """
    body = json_body(ForgotPasswordRequest)
    services.identity.request_password_reset(body["email"])
    return {"message": FORGOT_MESSAGE}, 202


@api.post("/auth/password/reset")
def reset_password():
    """Set a new password with the token from the reset e-mail; every session ends and every API
    token of the account is revoked.
    ---
    post:
      tags: [auth]
      summary: Reset a password with an e-mailed token (single use, valid 1 hour; ends every
        session and revokes every API token)
      security: []
      requestBody: ResetPasswordRequest
      responses:
        200: {description: The password is changed; sign in with it, schema: Message}
        422: The token is invalid or expired, or the password is too weak
    """
    body = json_body(ResetPasswordRequest)
    services.identity.reset_password(body["token"], body["password"])
    return {"message": "Your password is changed. Sign in with it."}


@api.get("/me")
@login_required
def me():
    """Who is signed in, and their agency.
    ---
    get:
      tags: [account]
      summary: The signed-in user and their agency
      responses:
        200: {description: The principal and the agency, schema: Me}
    """
    return {"user": auth.principal(), "agency": services.identity.get_agency()}


@api.post("/me/password")
@login_required
def change_password():
    """Change your own password; your other sessions end, and your API tokens with
    `revoke_tokens: true`.
    ---
    post:
      tags: [account]
      summary: Change your password (other sessions end; API tokens too if revoke_tokens)
      requestBody: ChangePasswordRequest
      responses:
        204: Changed
        422: The current password is wrong, or the new one is too weak
        429: Too many wrong current passwords; the message says when to try again
    """
    body = json_body(ChangePasswordRequest)
    result = services.identity.change_password(
        body["current_password"],
        body["new_password"],
        ip=request.remote_addr,
        revoke_tokens=body["revoke_tokens"],
    )
    if g.get("auth_method") == "session":
        # identity ended every session, this one too: carry on with the fresh one.
        auth.start_session(result["session_token"])
    return "", 204


@api.get("/tokens")
@login_required
def list_tokens():
    """Your live API tokens (never their secrets).
    ---
    get:
      tags: [account]
      summary: List your API tokens
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: "One page of your tokens, oldest first", schema: ApiTokenPage}
    """
    return page_of(services.identity.list_api_tokens(), **query_args(PageQuery))


@api.post("/tokens")
@login_required
def create_token():
    """A new personal API token; its secret is in this answer only.
    ---
    post:
      tags: [account]
      summary: "Create an API token (send it as 'Authorization: Bearer <token>')"
      requestBody: TokenCreateRequest
      responses:
        201: {description: "The token, with its secret shown this once", schema: NewApiToken}
    """
    body = json_body(TokenCreateRequest)
    return services.identity.create_api_token(body["name"]), 201, NO_STORE


@api.delete("/tokens/<token_id>")
@login_required
def revoke_token(token_id: str):
    """Revoke one of your API tokens.
    ---
    delete:
      tags: [account]
      summary: Revoke an API token
      responses:
        204: Revoked
        404: No such token of yours
    """
    services.identity.revoke_api_token(token_id)
    return "", 204
