"""One service's database refusing connections for a while, with traffic running: the gateway
answers 503 (never 500) while it refuses, and every event is handled exactly once afterwards."""

from tests.support.api import assert_error
from tests.support.faults import Traffic


def test_invitations_sent_while_the_notifications_database_refuses_arrive_once_afterwards(
    faulty, agency
):
    traffic = Traffic(agency.api, agency.client_id, invite=True, max_rounds=10).start()
    with faulty.database_refusing("notifications"):
        traffic.run_for(4)
        # The admin page that lists failed events is a 503 too, not a 500.
        error = assert_error(agency.api.get("/events/failed"), 503, "service_unavailable")
        assert error["fields"] == {"service": "notifications"}
        traffic.run_for(4)
    traffic.stop()

    traffic.assert_only_successes_or_503()
    assert len(traffic.created) >= 5, "contacts are created while notifications is away"
    traffic.assert_every_2xx_write_is_kept()
    traffic.assert_every_invitation_mailed_once(faulty.mailbox)
    assert agency.api.get("/events/failed", expect=200).json()["total"] == 0


def test_the_clients_database_refusing_is_a_503_and_nothing_answered_2xx_is_lost(faulty, agency):
    traffic = Traffic(agency.api, agency.client_id, invite=True).start()
    traffic.run_for(2)
    with faulty.database_refusing("clients"):
        traffic.run_for(4)
        response = agency.api.get("/clients")
        assert_error(response, 503, "service_unavailable")
        assert response.headers["Retry-After"]
    traffic.run_for(2)
    traffic.stop()

    assert traffic.unavailable_count() > 0
    traffic.assert_only_successes_or_503()
    traffic.assert_every_2xx_write_is_kept()
    traffic.assert_every_invitation_mailed_once(faulty.mailbox)


def test_the_identity_database_refusing_makes_signed_in_requests_503_not_401(faulty, agency):
    traffic = Traffic(agency.api, agency.client_id).start()
    traffic.run_for(1)
    with faulty.database_refusing("identity"):
        traffic.run_for(3)
        assert_error(agency.api.get("/me"), 503, "service_unavailable")
    traffic.run_for(2)
    traffic.stop()

    assert traffic.unavailable_count() > 0
    traffic.assert_only_successes_or_503()
    traffic.assert_every_2xx_write_is_kept()
    agency.api.get("/me", expect=200)
