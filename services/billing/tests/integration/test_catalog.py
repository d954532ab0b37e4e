"""The service catalog: add, edit, archive, list; names unique among live services."""

import pytest

from billing.catalog import services
from kit import permissions
from kit.errors import Conflict, NotFound, PermissionDenied, ValidationError


def test_added_service_is_listed_by_name(write, read, ctx):
    write(services.add_service, ctx, "SEO", "Search engine optimisation")
    write(services.add_service, ctx, "ads", None)
    page = read(services.list_services, ctx)
    assert [s["name"] for s in page["items"]] == ["ads", "SEO"]
    assert page["total"] == 2 and page["page"] == 1 and page["per_page"] == 25
    assert page["items"][1]["description"] == "Search engine optimisation"


def test_edit_changes_name_and_description(write, read, ctx):
    added = write(services.add_service, ctx, "SEO")
    write(services.update_service, ctx, added["id"], name="SEO Pro", description="More")
    got = read(services.get_service, ctx, added["id"])
    assert (got["name"], got["description"]) == ("SEO Pro", "More")


def test_live_names_are_unique_whatever_the_case_until_archived(write, ctx):
    first = write(services.add_service, ctx, "SEO")
    with pytest.raises(Conflict):
        write(services.add_service, ctx, "seo")
    write(services.archive_service, ctx, first["id"])
    assert write(services.add_service, ctx, "seo")["status"] == "active"


def test_archived_service_is_listed_apart_and_cannot_change(write, read, ctx):
    added = write(services.add_service, ctx, "SEO")
    archived = write(services.archive_service, ctx, added["id"])
    assert archived["status"] == "archived"
    assert read(services.list_services, ctx)["items"] == []
    assert read(services.list_services, ctx, "archived")["total"] == 1
    with pytest.raises(Conflict):
        write(services.update_service, ctx, added["id"], name="Other")


def test_bad_input_is_a_field_error_and_adds_nothing(write, read, ctx):
    with pytest.raises(ValidationError) as error:
        write(services.add_service, ctx, "  ")
    assert "name" in error.value.fields
    with pytest.raises(ValidationError):
        write(services.add_service, ctx, "x" * 201)
    added = write(services.add_service, ctx, "SEO")
    with pytest.raises(ValidationError):
        write(services.update_service, ctx, added["id"], rate=5)
    assert read(services.list_services, ctx, None)["total"] == 1


def test_another_agencys_service_is_not_found(write, ctx, make_ctx):
    added = write(services.add_service, ctx, "SEO")
    other = make_ctx()
    for call in (services.get_service, services.archive_service):
        with pytest.raises(NotFound):
            write(call, other, added["id"])
    with pytest.raises(NotFound):
        write(services.update_service, other, added["id"], name="Mine")
    with pytest.raises(NotFound):
        write(services.get_service, ctx, "not-a-uuid")


def test_changing_the_catalog_needs_manage_services(write, read, ctx, make_ctx):
    reader = make_ctx(ctx.agency_id, permissions=[permissions.VIEW_CLIENTS])
    with pytest.raises(PermissionDenied):
        write(services.add_service, reader, "SEO")
    write(services.add_service, ctx, "SEO")
    assert read(services.list_services, reader)["total"] == 1
    nobody = make_ctx(ctx.agency_id, permissions=[])
    with pytest.raises(PermissionDenied):
        read(services.list_services, nobody)
