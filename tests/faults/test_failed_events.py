"""What the agency's admins see when events fail: Settings > Failed events and
/api/v1/events/failed say what failed, why, how often and when next; "retry now" delivers it."""

import time

import requests

from tests.support.api import STRONG_PASSWORD, sign_up
from tests.support.faults import INVITATION_SUBJECT


def _page(agency, path: str) -> requests.Response:
    """A web page as the agency's owner sees it, signed in with a session cookie."""
    session = agency.api.anonymous()
    session.post(
        "/auth/login", json={"email": agency.api.email, "password": STRONG_PASSWORD}, expect=200
    )
    return session.http.get(f"{agency.api.base_url}{path}", timeout=30)


def _refuse_mail_from_now(faulty, agency) -> None:
    """SMTP refuses every recipient, once the agency's welcome e-mail is out of the way."""
    faulty.mailbox.wait_for(agency.api.email, timeout=30)
    faulty.mailbox.refuse_sends(True)


def _failed(agency, total: int, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        page = agency.api.get("/events/failed", expect=200).json()
        if page["total"] == total:
            return page
        assert time.monotonic() < deadline, f"expected {total} failed events: {page}"
        time.sleep(0.3)


def test_an_invitation_smtp_refused_is_listed_with_its_reason_and_retried_by_hand(faulty, agency):
    email = "refused-once@example.test"
    _refuse_mail_from_now(faulty, agency)
    try:
        agency.api.post(
            "/contacts",
            json={
                "name": "Rita Refused",
                "email": email,
                "client_id": agency.client_id,
                "invite": True,
            },
            expect=201,
        )
        page = _failed(agency, 1)
        [event] = page["items"]
        # As if it had been tried eight times: dead, no longer retried on its own.
        faulty.sql(
            "notifications",
            "UPDATE failed_events SET status = 'dead', attempts = 8 WHERE event_id = :id",
            id=event["event_id"],
        )
        time.sleep(3)  # a retry already under way fails too, and finds it dead
    finally:
        faulty.mailbox.refuse_sends(False)

    assert set(page) == {"items", "total", "page", "per_page"}
    assert event["event_type"] == "contact_invited" and event["service"] == "notifications"
    assert event["source_service"] == "clients" and event["status"] == "retrying"
    assert "Rita Refused" in event["summary"] and email in event["summary"]
    assert "SMTPRecipientsRefused" in event["error"] and event["attempts"] >= 1
    assert event["next_attempt_at"]
    assert "invitation_token" not in str(event)

    time.sleep(2)  # the retry loop leaves a dead event alone
    [dead] = agency.api.get("/events/failed?status=dead", expect=200).json()["items"]
    assert dead["next_attempt_at"] is None and not faulty.mailbox.find(email)
    response = _page(agency, "/settings/events")
    assert response.status_code == 200
    html = response.text
    assert "contact invited" in html and "Rita Refused" in html and "dead" in html
    assert "Retry now" in html

    agency.api.post(
        f"/events/failed/{event['event_id']}/retry",
        json={"handler": event["handler"]},
        expect=200,
    )
    faulty.mailbox.wait_for(email, INVITATION_SUBJECT, timeout=10)
    _failed(agency, 0)
    time.sleep(2)
    assert len(faulty.mailbox.find(email, INVITATION_SUBJECT)) == 1


def test_another_agencys_failed_event_cannot_be_seen_or_retried(faulty, agency):
    other = sign_up(faulty.base_url, faulty.mailbox)
    faulty.mailbox.wait_for(other.email, "Welcome", timeout=30)
    _refuse_mail_from_now(faulty, agency)
    try:
        agency.api.post(
            "/contacts",
            json={
                "name": "Private Pat",
                "email": "pat@example.test",
                "client_id": agency.client_id,
                "invite": True,
            },
            expect=201,
        )
        [event] = _failed(agency, 1)["items"]
    finally:
        faulty.mailbox.refuse_sends(False)

    assert other.get("/events/failed", expect=200).json()["total"] == 0
    other.post(
        f"/events/failed/{event['event_id']}/retry",
        json={"handler": event["handler"]},
        expect=404,
    )


def test_a_page_while_a_service_database_refuses_says_to_try_again_in_a_moment(faulty, agency):
    with faulty.database_refusing("clients"):
        response = _page(agency, "/clients")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "try again in a moment" in response.text
