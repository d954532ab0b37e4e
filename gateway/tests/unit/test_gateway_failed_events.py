"""Failed events gathered from every event-handling service: one page, newest failure first."""

OWNER = {"Authorization": "Bearer owner-token"}
MEMBER = {"Authorization": "Bearer member-token"}


def failed(event_id: str, service: str, updated_at: str) -> dict:
    return {
        "event_id": event_id,
        "handler": f"{service}.on_thing",
        "service": service,
        "source_service": "clients",
        "event_type": "contact_invited",
        "summary": "Ann, ann@example.test",
        "error": "SMTPRecipientsRefused: refused",
        "attempts": 2,
        "status": "retrying",
        "next_attempt_at": "2026-11-29T03:00:00+00:00",
        "created_at": updated_at,
        "updated_at": updated_at,
    }


def pages_of(items: list[dict]):
    def answer(status=None, page=1, per_page=25):
        start = (page - 1) * per_page
        return {
            "items": items[start : start + per_page],
            "total": len(items),
            "page": page,
            "per_page": per_page,
        }

    return answer


def test_the_failed_events_of_every_event_service_are_one_page(app, rpc):
    app.config["EVENT_SERVICES"] = ["notifications", "billing"]
    notifications = [
        failed(
            f"00000000-0000-0000-0000-00000000000{i}",
            "notifications",
            f"2026-11-29T02:0{i}:00+00:00",
        )
        for i in (5, 3, 1)
    ]
    billing = [
        failed("00000000-0000-0000-0000-000000000004", "billing", "2026-11-29T02:04:00+00:00")
    ]
    rpc.answers[("notifications", "list_failed_events")] = pages_of(notifications)
    rpc.answers[("billing", "list_failed_events")] = pages_of(billing)

    client = app.test_client()
    first = client.get("/api/v1/events/failed?per_page=2", headers=OWNER).get_json()
    second = client.get("/api/v1/events/failed?per_page=2&page=2", headers=OWNER).get_json()

    assert first["total"] == second["total"] == 4
    assert [e["updated_at"][14:16] for e in first["items"] + second["items"]] == [
        "05",
        "04",
        "03",
        "01",
    ]


def test_retrying_an_event_asks_the_service_its_handler_belongs_to(app, rpc):
    rpc.answers[("notifications", "retry_failed_event")] = lambda event_id, handler: failed(
        event_id, "notifications", "2026-11-29T02:00:00+00:00"
    )
    response = app.test_client().post(
        "/api/v1/events/failed/00000000-0000-0000-0000-000000000001/retry",
        json={"handler": "notifications.on_thing"},
        headers=OWNER,
    )
    assert response.status_code == 200
    assert rpc.methods()[-1] == "notifications.retry_failed_event"


def test_a_handler_of_a_service_that_handles_no_events_is_not_found(app, rpc):
    response = app.test_client().post(
        "/api/v1/events/failed/00000000-0000-0000-0000-000000000001/retry",
        json={"handler": "reports.on_thing"},
        headers=OWNER,
    )
    assert response.status_code == 404
    assert "reports.retry_failed_event" not in rpc.methods()


def test_failed_events_need_manage_settings(app, rpc):
    response = app.test_client().get("/api/v1/events/failed", headers=MEMBER)
    assert response.status_code == 403
