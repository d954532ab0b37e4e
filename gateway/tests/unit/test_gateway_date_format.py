"""One date format across the UI: `date` and `datetime` are the only ways templates show a
moment, times are shown in the agency's time zone, and the clients pages' `when` uses them."""

from flask import g, render_template_string

from gateway.web.shell import format_date, format_datetime


def test_times_are_shown_in_the_agencys_time_zone_with_its_name(app):
    with app.test_request_context("/"):
        g.agency = {"timezone": "Europe/Paris"}
        assert format_datetime("2026-03-04T13:05:00+00:00") == "Mar 4, 2026 14:05 CET"
        assert format_datetime("2026-07-04T13:05:00+00:00") == "Jul 4, 2026 15:05 CEST"
        # A late UTC evening is the next day on the agency's calendar.
        assert format_date("2026-03-04T23:30:00+00:00") == "Mar 5, 2026"
        # A plain date is a date everywhere.
        assert format_date("2026-03-04") == "Mar 4, 2026"


def test_without_an_agency_times_are_utc_and_say_so(app):
    with app.test_request_context("/"):
        g.agency = None
        assert format_datetime("2026-03-04T13:05:00+00:00") == "Mar 4, 2026 13:05 UTC"
        assert format_datetime(None) == format_date("") == ""


def test_the_clients_pages_show_times_in_the_one_format(app):
    with app.test_request_context("/"):
        g.agency = {"timezone": "America/New_York"}
        shown = render_template_string(
            '{% from "clients/_macros.html" import when %}{{ when(a) }}|{{ when(none) }}',
            a="2026-03-04T13:05:00+00:00",
        )
    assert shown == "Mar 4, 2026 08:05 EST|—"
