"""Services available per client: those assigned until the agency chooses; the portal's own."""

import uuid
from datetime import date

import pytest

from billing.catalog import assignments, availability, services
from kit.context import Context
from kit.errors import NotFound, PermissionDenied, ValidationError


def test_assigned_services_are_available_until_the_agency_chooses(write, read, ctx, known_client):
    client = known_client(ctx)
    seo = write(services.add_service, ctx, "SEO")["id"]
    ads = write(services.add_service, ctx, "Ads")["id"]
    write(
        assignments.assign_service,
        ctx,
        seo,
        client,
        "check",
        "one_time",
        date.today().isoformat(),
        100,
    )
    available = read(availability.list_client_services, ctx, client)
    assert (available["chosen"], [s["name"] for s in available["items"]]) == (False, ["SEO"])
    chosen = write(availability.set_client_services, ctx, client, [ads])
    assert (chosen["chosen"], [s["name"] for s in chosen["items"]]) == (True, ["Ads"])
    portal = Context(agency_id=ctx.agency_id, kind="contact", client_id=client)
    assert [s["name"] for s in read(availability.portal_list_services, portal)["items"]] == ["Ads"]


def test_choosing_an_unknown_service_changes_nothing(write, read, ctx, known_client):
    client = known_client(ctx)
    with pytest.raises(ValidationError):
        write(availability.set_client_services, ctx, client, [str(uuid.uuid4())])
    assert read(availability.list_client_services, ctx, client)["chosen"] is False


def test_another_agencys_client_is_not_found_and_the_team_cannot_use_the_portal_list(
    write, read, ctx, make_ctx, known_client
):
    client = known_client(ctx)
    with pytest.raises(NotFound):
        read(availability.list_client_services, make_ctx(), client)
    with pytest.raises(PermissionDenied):
        read(availability.portal_list_services, ctx)
