"""The agency's own settings and the list of permissions, over RPC."""

from __future__ import annotations

import pytest

from kit.errors import PermissionDenied, Unauthenticated, ValidationError
from kit.permissions import DESCRIPTIONS as PERMISSIONS


def test_update_agency_needs_manage_settings(identity, owner_ctx, add_user):
    manager_ctx, _ = add_user("manny@acme.test", "Manager")
    with pytest.raises(PermissionDenied):
        identity.update_agency(manager_ctx, name="Manny's agency")
    assert identity.get_agency(manager_ctx)["name"] == "Acme"


def test_the_owner_renames_the_agency_and_sets_its_time_zone(identity, owner_ctx, events):
    agency = identity.update_agency(owner_ctx, name="Acme Studio", timezone="Europe/Berlin")
    assert (agency["name"], agency["timezone"]) == ("Acme Studio", "Europe/Berlin")
    assert identity.get_agency(owner_ctx)["timezone"] == "Europe/Berlin"
    event = events.wait_for("agency_updated")
    assert (event["name"], event["timezone"]) == ("Acme Studio", "Europe/Berlin")


def test_an_unknown_time_zone_is_a_validation_error(identity, owner_ctx):
    with pytest.raises(ValidationError) as raised:
        identity.update_agency(owner_ctx, timezone="Mars/Olympus_Mons")
    assert "timezone" in raised.value.fields


def test_calls_without_an_agency_are_unauthenticated(identity, anonymous):
    with pytest.raises(Unauthenticated):
        identity.get_agency(anonymous)
    with pytest.raises(Unauthenticated):
        identity.list_users(anonymous)


def test_list_permissions_names_every_permission(identity, owner_ctx):
    listed = identity.list_permissions(owner_ctx)
    assert [p["name"] for p in listed] == list(PERMISSIONS)
    assert all(p["description"] for p in listed)
