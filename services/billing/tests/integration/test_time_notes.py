"""Time notes on hourly assignments: where they may be dated, and what they do to the run."""

from datetime import date, timedelta

import pytest

from billing.catalog import assignments, services, time_notes
from billing.invoicing.periods import month_end
from kit.errors import NotFound, ValidationError


@pytest.fixture
def hourly(write, ctx, known_client):
    seo = write(services.add_service, ctx, "SEO")["id"]
    start = date.today().replace(day=1) - timedelta(days=40)

    def make(billing_type="hourly"):
        return write(
            assignments.assign_service,
            ctx,
            seo,
            known_client(ctx),
            "check",
            billing_type,
            start.isoformat(),
            9000,
        )

    return make


def test_logged_time_is_listed_and_makes_its_month_due(hourly, write, read, ctx):
    made = hourly()
    assert made["next_bill_on"] is None
    work_date = date.fromisoformat(made["start_date"]) + timedelta(days=2)
    note = write(time_notes.log_time, ctx, made["id"], work_date.isoformat(), 90, "Audit")
    assert note["minutes"] == 90 and note["logged_by"] == "u-1" and note["invoice_id"] is None
    (listed,) = read(time_notes.list_time_notes, ctx, made["id"])
    assert listed["note"] == "Audit"
    due = read(assignments.get_assignment, ctx, made["id"])["next_bill_on"]
    assert due == (month_end(work_date) + timedelta(days=1)).isoformat()
    kinds = [a["kind"] for a in read(assignments.list_activities, ctx, made["id"])]
    assert kinds == ["assigned", "time_logged"]


def test_time_on_a_monthly_assignment_is_refused(hourly, write, ctx):
    made = hourly("recurring_in_advance")
    with pytest.raises(ValidationError) as error:
        write(time_notes.log_time, ctx, made["id"], date.today().isoformat(), 30)
    assert "assignment_id" in error.value.fields


@pytest.mark.parametrize(
    ("shift", "minutes", "field"),
    [
        (-100, 30, "work_date"),  # before the start
        (1, 30, "work_date"),  # tomorrow
        (0, 0, "minutes"),
        (0, "an hour", "minutes"),
        (0, 24 * 60 + 1, "minutes"),
    ],
)
def test_bad_time_notes_are_field_errors(hourly, write, read, ctx, shift, minutes, field):
    made = hourly()
    with pytest.raises(ValidationError) as error:
        write(
            time_notes.log_time,
            ctx,
            made["id"],
            (date.today() + timedelta(days=shift)).isoformat(),
            minutes,
        )
    assert field in error.value.fields
    assert read(time_notes.list_time_notes, ctx, made["id"]) == []


def test_an_open_note_can_change_and_go(hourly, write, read, ctx):
    made = hourly()
    note = write(time_notes.log_time, ctx, made["id"], date.today().isoformat(), 30)
    write(time_notes.update_time_note, ctx, note["id"], minutes=45, note="Longer")
    (changed,) = read(time_notes.list_time_notes, ctx, made["id"])
    assert (changed["minutes"], changed["note"]) == (45, "Longer")
    write(time_notes.delete_time_note, ctx, note["id"])
    assert read(time_notes.list_time_notes, ctx, made["id"]) == []
    assert read(assignments.get_assignment, ctx, made["id"])["next_bill_on"] is None


def test_another_agencys_time_note_is_not_found(hourly, write, ctx, make_ctx):
    made = hourly()
    note = write(time_notes.log_time, ctx, made["id"], date.today().isoformat(), 30)
    with pytest.raises(NotFound):
        write(time_notes.delete_time_note, make_ctx(), note["id"])
    with pytest.raises(NotFound):
        write(time_notes.log_time, make_ctx(), made["id"], date.today().isoformat(), 30)
