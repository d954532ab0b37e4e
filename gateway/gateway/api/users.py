"""The agency's team: users, roles and the permissions roles are made of (manage_users)."""

from __future__ import annotations

from gateway.api.base import api, json_body, query_args
from gateway.api.paging import PageQuery, page_of
from gateway.api.schemas import (
    RoleCreateRequest,
    RoleUpdateRequest,
    UserCreateRequest,
    UserListQuery,
    UserUpdateRequest,
)
from gateway.auth import permission_required
from gateway.grants import check_role_grant, require_grantable
from gateway.rpc import services
from kit import permissions


@api.get("/users")
@permission_required(permissions.MANAGE_USERS)
def list_users():
    """The agency's users.
    ---
    get:
      tags: [users]
      summary: List users, optionally only active or inactive ones
      parameters: [{in: query, schema: UserListQuery}]
      responses:
        200: {description: "One page of users, by name", schema: UserPage}
    """
    args = query_args(UserListQuery)
    users = services.identity.list_users(status=args.pop("status", None))
    return page_of(users, **args)


@api.post("/users")
@permission_required(permissions.MANAGE_USERS)
def create_user():
    """Add a user with an initial password, or e-mail them an invitation. Either way the user
    is pending (`invitation_pending`) until they open the link e-mailed to them
    (`POST auth/invitations/accept`); only then can they log in.
    ---
    post:
      tags: [users]
      summary: Add a user (give a password, or send_invitation=true)
      requestBody: UserCreateRequest
      responses:
        201: {description: The new user, schema: User}
        403: The role holds a permission you lack
        409: Someone in your team already has this e-mail address
        422: A field is missing or invalid, or the password is too weak
    """
    body = json_body(UserCreateRequest)
    check_role_grant(body.get("role_id"))
    return services.identity.create_user(**body), 201


@api.get("/users/<user_id>")
@permission_required(permissions.MANAGE_USERS)
def get_user(user_id: str):
    """One user.
    ---
    get:
      tags: [users]
      summary: Get a user
      responses:
        200: {description: The user, schema: User}
        404: No such user in your agency
    """
    return services.identity.get_user(user_id)


@api.patch("/users/<user_id>")
@permission_required(permissions.MANAGE_USERS)
def update_user(user_id: str):
    """Change a user's profile, e-mail (username), role or password.
    ---
    patch:
      tags: [users]
      summary: Update a user (only the fields given change)
      requestBody: UserUpdateRequest
      responses:
        200: {description: The changed user, schema: User}
        403: Your own role, or a role holding a permission you lack
        409: Someone in your team already has this e-mail address
        422: A field is invalid
    """
    body = json_body(UserUpdateRequest)
    check_role_grant(body.get("role_id"), user_id)
    return services.identity.update_user(user_id, **body)


@api.post("/users/<user_id>/deactivate")
@permission_required(permissions.MANAGE_USERS)
def deactivate_user(user_id: str):
    """Deactivate a user who left: they cannot sign in, their sessions and tokens stop working.
    ---
    post:
      tags: [users]
      summary: Deactivate a user
      responses:
        200: {description: "The user, now inactive", schema: User}
    """
    return services.identity.deactivate_user(user_id)


@api.post("/users/<user_id>/invitation")
@permission_required(permissions.MANAGE_USERS)
def resend_user_confirmation(user_id: str):
    """E-mail a pending user a new link to confirm their address (the earlier one stops working).
    ---
    post:
      tags: [users]
      summary: Send a pending user a new confirmation link
      responses:
        200: {description: The user, schema: User}
        404: No such user in your agency
        409: The user's address is confirmed already, or the user is deactivated
    """
    return services.identity.resend_user_confirmation(user_id)


@api.post("/users/<user_id>/reactivate")
@permission_required(permissions.MANAGE_USERS)
def reactivate_user(user_id: str):
    """Let an inactive user sign in again.
    ---
    post:
      tags: [users]
      summary: Reactivate a user
      responses:
        200: {description: "The user, active again", schema: User}
    """
    return services.identity.reactivate_user(user_id)


@api.get("/roles")
@permission_required(permissions.MANAGE_USERS)
def list_roles():
    """Built-in and custom roles with their permissions.
    ---
    get:
      tags: [roles]
      summary: List roles (built-in first)
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: One page of roles, schema: RolePage}
    """
    return page_of(services.identity.list_roles(), **query_args(PageQuery))


@api.post("/roles")
@permission_required(permissions.MANAGE_USERS)
def create_role():
    """A custom role.
    ---
    post:
      tags: [roles]
      summary: Create a custom role
      requestBody: RoleCreateRequest
      responses:
        201: {description: The new role, schema: Role}
        403: A permission you do not hold yourself
        409: Another role has this name
    """
    body = json_body(RoleCreateRequest)
    require_grantable(body["permissions"])
    return services.identity.create_role(body["name"], body["permissions"]), 201


@api.patch("/roles/<role_id>")
@permission_required(permissions.MANAGE_USERS)
def update_role(role_id: str):
    """Rename a custom role or change its permissions (built-in roles are fixed).
    ---
    patch:
      tags: [roles]
      summary: Update a custom role
      requestBody: RoleUpdateRequest
      responses:
        200: {description: The changed role, schema: Role}
        403: Built-in roles cannot be changed, nor given a permission you lack
        409: Another role has this name
    """
    body = json_body(RoleUpdateRequest)
    if body.get("permissions") is not None:
        require_grantable(body["permissions"])
    return services.identity.update_role(role_id, **body)


@api.delete("/roles/<role_id>")
@permission_required(permissions.MANAGE_USERS)
def delete_role(role_id: str):
    """Delete a custom role nobody holds.
    ---
    delete:
      tags: [roles]
      summary: Delete a custom role
      responses:
        204: Deleted
        409: Users still hold the role
    """
    services.identity.delete_role(role_id)
    return "", 204


@api.get("/permissions")
@permission_required(permissions.MANAGE_USERS)
def list_permissions():
    """Every permission a role can hold.
    ---
    get:
      tags: [roles]
      summary: List permissions
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: Permission names and what they allow, schema: PermissionPage}
    """
    return page_of(services.identity.list_permissions(), **query_args(PageQuery))
