"""Assignments: terms checked, immutable but for ending, status in the agency's time zone,
filters, history, tenancy; bad input changes nothing."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from billing.catalog import assignments, services
from billing.facts.agencies import agency_today
from billing.models import Assignment
from kit import permissions
from kit.errors import Conflict, NotFound, PermissionDenied, ValidationError


@pytest.fixture
def seo(write, ctx):
    return write(services.add_service, ctx, "SEO")["id"]


@pytest.fixture
def assign(write, ctx, seo, known_client):
    """assign(**terms) -> assignment dict, for a fresh client unless client_id is given."""

    def make(**terms):
        values = {
            "service_id": seo,
            "client_id": terms.pop("client_id", None) or known_client(ctx),
            "payment_method": "check",
            "billing_type": "recurring_in_advance",
            "start_date": date.today().isoformat(),
            "rate": 50000,
        }
        values.update(terms)
        return write(assignments.assign_service, ctx, **values)

    return make


def count(session) -> int:
    with session.begin():
        return session.scalar(select(func.count()).select_from(Assignment))


def test_assigning_records_terms_and_the_service_assigned_event(assign, session, outbox):
    made = assign(billing_type="recurring_in_arrears", rate=12345, note="Retainer")
    assert made["rate"] == {"amount": 12345, "currency": "USD"}
    assert made["status"] == "active" and made["note"] == "Retainer"
    assert made["service"]["name"] == "SEO" and made["client"]["name"] == "Globex"
    (event,) = outbox(session, "service_assigned")
    assert event["assignment_id"] == made["id"] and event["rate"]["amount"] == 12345
    assert event["client_id"] == made["client"]["id"] and event["service_name"] == "SEO"


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"rate": -1}, "rate"),
        ({"rate": "12.50"}, "rate"),
        ({"rate": 1.5}, "rate"),
        ({"start_date": "2026-03-10", "end_date": "2026-03-09"}, "end_date"),
        ({"start_date": "tomorrow"}, "start_date"),
        ({"billing_type": "weekly"}, "billing_type"),
        ({"payment_method": "cash"}, "payment_method"),
        ({"client_id": "not-an-id"}, "client_id"),
        ({"client_id": "00000000-0000-0000-0000-000000000000"}, "client_id"),
        ({"service_id": "00000000-0000-0000-0000-000000000000"}, "service_id"),
        ({"currency": "dollars"}, "currency"),
    ],
)
def test_bad_terms_are_field_errors_and_change_nothing(assign, session, outbox, terms, field):
    with pytest.raises(ValidationError) as error:
        assign(**terms)
    assert field in error.value.fields
    assert count(session) == 0 and outbox(session) == []


def test_archived_client_or_service_cannot_be_assigned(assign, write, ctx, seo, known_client):
    with pytest.raises(ValidationError) as error:
        assign(client_id=known_client(ctx, archived=True))
    assert "client_id" in error.value.fields
    write(services.archive_service, ctx, seo)
    with pytest.raises(ValidationError) as error:
        assign()
    assert "service_id" in error.value.fields


def test_another_agencys_client_is_not_a_client_here(assign, ctx, make_ctx, known_client):
    with pytest.raises(ValidationError):
        assign(client_id=known_client(make_ctx()))


def test_status_is_computed_in_the_agencys_time_zone(assign, read, ctx, session, agency_timezone):
    agency_timezone(ctx, "Pacific/Kiritimati")  # UTC+14: often a day ahead of UTC
    with session.begin():
        today = agency_today(session, ctx)
    made = assign(start_date=today.isoformat(), end_date=today.isoformat())
    assert made["status"] == "ending_today"
    later = assign(start_date=(today + timedelta(days=1)).isoformat())
    assert later["status"] == "not_started"


def test_list_filters_by_client_service_and_status(assign, read, write, ctx, known_client):
    today = date.today()
    acme = known_client(ctx, "Acme")
    running = assign(client_id=acme)
    assign(client_id=acme, start_date=(today + timedelta(days=3)).isoformat())
    assign(start_date=(today - timedelta(days=5)).isoformat(), end_date=today.isoformat())
    other = write(services.add_service, ctx, "Ads")["id"]
    assign(service_id=other, start_date=(today - timedelta(days=40)).isoformat())
    assert read(assignments.list_assignments, ctx)["total"] == 4
    assert read(assignments.list_assignments, ctx, client_id=acme)["total"] == 2
    assert read(assignments.list_assignments, ctx, service_id=other)["total"] == 1
    by_status = {
        status: read(assignments.list_assignments, ctx, status=status)["total"]
        for status in ("not_started", "active", "ending_today", "ended")
    }
    assert by_status == {"not_started": 1, "active": 2, "ending_today": 1, "ended": 0}
    active = read(assignments.list_assignments, ctx, client_id=acme, status="active")
    assert [a["id"] for a in active["items"]] == [running["id"]]
    with pytest.raises(ValidationError):
        read(assignments.list_assignments, ctx, status="paused")


def test_filtering_on_another_agencys_client_is_not_found(assign, read, make_ctx, known_client):
    with pytest.raises(NotFound):
        read(assignments.list_assignments, make_ctx(), client_id=known_client(make_ctx()))


def test_ending_cuts_the_assignment_and_is_in_its_history(
    assign, write, read, ctx, session, outbox
):
    made = assign(start_date=(date.today() - timedelta(days=10)).isoformat())
    ended = write(assignments.end_assignment, ctx, made["id"], date.today().isoformat())
    assert ended["end_date"] == date.today().isoformat() and ended["status"] == "ending_today"
    (event,) = outbox(session, "assignment_ended")
    assert event["end_date"] == date.today().isoformat()
    kinds = [a["kind"] for a in read(assignments.list_activities, ctx, made["id"])]
    assert kinds == ["assigned", "ended"]


def test_ending_in_the_past_or_later_than_its_end_is_refused(assign, write, ctx):
    today = date.today()
    made = assign(start_date=(today - timedelta(days=10)).isoformat())
    with pytest.raises(ValidationError):
        write(assignments.end_assignment, ctx, made["id"], (today - timedelta(days=1)).isoformat())
    write(assignments.end_assignment, ctx, made["id"], (today + timedelta(days=5)).isoformat())
    with pytest.raises(ValidationError):
        write(assignments.end_assignment, ctx, made["id"], (today + timedelta(days=6)).isoformat())


def test_only_an_assignment_not_started_can_be_deleted(assign, write, read, ctx, session):
    later = assign(start_date=(date.today() + timedelta(days=3)).isoformat())
    started = assign()
    with pytest.raises(Conflict):
        write(assignments.delete_assignment, ctx, started["id"])
    write(assignments.delete_assignment, ctx, later["id"])
    with pytest.raises(NotFound):
        read(assignments.get_assignment, ctx, later["id"])
    assert count(session) == 1


def test_another_agencys_assignment_is_not_found(assign, write, read, make_ctx):
    made = assign()
    other = make_ctx()
    with pytest.raises(NotFound):
        read(assignments.get_assignment, other, made["id"])
    with pytest.raises(NotFound):
        write(assignments.end_assignment, other, made["id"], date.today().isoformat())
    with pytest.raises(NotFound):
        write(assignments.delete_assignment, other, made["id"])


def test_assigning_needs_manage_services(assign, read, ctx, make_ctx, seo, known_client, write):
    viewer = make_ctx(ctx.agency_id, permissions=[permissions.VIEW_BILLING])
    with pytest.raises(PermissionDenied):
        write(
            assignments.assign_service,
            viewer,
            seo,
            known_client(ctx),
            "check",
            "one_time",
            date.today().isoformat(),
            100,
        )
    assign()
    assert read(assignments.list_assignments, viewer)["total"] == 1


def test_card_payment_needs_the_agencys_stripe_keys(assign, session):
    with pytest.raises(ValidationError) as error:
        assign(payment_method="card")
    assert error.value.fields == {"payment_method": "no Stripe keys: pay by check"}
    assert count(session) == 0
    assert assign(payment_method="check")["payment_method"] == "check"
