"""The agency itself: its profile, its plan and trial, and what the plan entitles it to."""

from __future__ import annotations

from gateway.api.base import api, json_body, query_args
from gateway.api.paging import PageQuery, page_of
from gateway.api.schemas import AgencyUpdateRequest
from gateway.auth import login_required, permission_required
from gateway.rpc import services
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
    """Change the agency's name or time zone.
    ---
    patch:
      tags: [agency]
      summary: Update your agency's profile
      requestBody: AgencyUpdateRequest
      responses:
        200: {description: The changed agency, schema: Agency}
        422: The name is empty or the time zone unknown
    """
    body = json_body(AgencyUpdateRequest())
    return services.identity.update_agency(**body)


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
    return page_of(services.identity.list_plans(), **query_args(PageQuery()))
