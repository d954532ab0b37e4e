"""The agency itself: its profile, its plan and trial, and what the plan entitles it to."""

from __future__ import annotations

from gateway.api.base import api, json_body, query_args
from gateway.api.clients import picture_from_request
from gateway.api.paging import PageQuery, page_of
from gateway.api.schemas import AgencyUpdateRequest
from gateway.auth import login_required, permission_required
from gateway.rpc import services
from gateway.uploads import picture_response
from kit import permissions


@api.get("/agency")
@login_required
def get_agency():
    """Your agency: name, time zone, plan, trial.
    ---
    get:
      tags: [agency]
      summary: Get your agency
      responses:
        200: {description: The agency, schema: Agency}
    """
    return services.identity.get_agency()


@api.patch("/agency")
@permission_required(permissions.MANAGE_SETTINGS)
def update_agency():
    """Change the agency's name, time zone or brand colour.
    ---
    patch:
      tags: [agency]
      summary: Update your agency's profile
      requestBody: AgencyUpdateRequest
      responses:
        200: {description: The changed agency, schema: Agency}
        422: The name is empty, the time zone unknown or the colour not #rrggbb
    """
    body = json_body(AgencyUpdateRequest)
    return services.identity.update_agency(**body)


@api.get("/agency/logo")
@login_required
def get_agency_logo():
    """The agency's logo (shown to its clients in the portal and e-mails).
    ---
    get:
      tags: [agency]
      summary: Get the agency's logo image
      responses:
        200: {description: The image, content: {image/png: {}, image/jpeg: {}}}
        404: The agency has no logo
    """
    return picture_response(services.identity.get_agency_logo())


@api.put("/agency/logo")
@permission_required(permissions.MANAGE_SETTINGS)
def put_agency_logo():
    """Set the agency's logo (JPG or PNG, at most 2 MB, checked by content).
    ---
    put:
      tags: [agency]
      summary: Upload the agency's logo (multipart field 'file', or the image as the body)
      requestBody: Picture
      responses:
        200: {description: The agency's brand, schema: Branding}
        422: Not a JPG or PNG image, or larger than 2 MB
    """
    return services.identity.set_agency_logo(picture_from_request("logo"))


@api.delete("/agency/logo")
@permission_required(permissions.MANAGE_SETTINGS)
def delete_agency_logo():
    """Remove the agency's logo.
    ---
    delete:
      tags: [agency]
      summary: Remove the agency's logo
      responses:
        200: {description: The agency's brand, schema: Branding}
    """
    return services.identity.set_agency_logo(None)


@api.get("/agency/entitlements")
@login_required
def get_entitlements():
    """What the agency's plan allows now.
    ---
    get:
      tags: [agency]
      summary: Plan limits and usage (client limit, price per user, active users)
      responses:
        200: {description: The entitlements, schema: Entitlements}
    """
    return services.identity.get_entitlements()


@api.get("/plans")
@login_required
def list_plans():
    """The plans an agency can be on.
    ---
    get:
      tags: [agency]
      summary: List plans
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: "One page of plans, cheapest first", schema: PlanPage}
    """
    return page_of(services.identity.list_plans(), **query_args(PageQuery))
