"""The whole PostgreSQL server restarted, and RabbitMQ stopped and started, under traffic: no
500, every 2xx write kept, every invitation e-mailed exactly once, no service restarted."""

from tests.support.faults import Traffic

PROGRAMS = ("identity", "notifications", "clients", "gateway")


def test_postgres_restarted_under_traffic_loses_nothing_and_sends_nothing_twice(faulty, agency):
    restarts = {name: faulty.system.stack.restarts[name] for name in PROGRAMS}
    traffic = Traffic(agency.api, agency.client_id, invite=True).start()
    traffic.run_for(2)
    faulty.postgres_restarted()
    traffic.run_for(4)
    traffic.stop()

    traffic.assert_only_successes_or_503()
    traffic.assert_every_2xx_write_is_kept()
    traffic.assert_every_invitation_mailed_once(faulty.mailbox)
    assert {name: faulty.system.stack.restarts[name] for name in PROGRAMS} == restarts


def test_rabbitmq_stopped_under_traffic_loses_nothing_and_sends_nothing_twice(faulty, agency):
    restarts = {name: faulty.system.stack.restarts[name] for name in PROGRAMS}
    traffic = Traffic(agency.api, agency.client_id, invite=True).start()
    traffic.run_for(2)
    with faulty.rabbit_stopped():
        traffic.run_for(5)
    traffic.run_for(6)
    traffic.stop()

    assert traffic.unavailable_count() > 0, "the broker's absence was not noticed"
    traffic.assert_only_successes_or_503()
    traffic.assert_every_2xx_write_is_kept()
    traffic.assert_every_invitation_mailed_once(faulty.mailbox)
    assert {name: faulty.system.stack.restarts[name] for name in PROGRAMS} == restarts
    # Writes succeed again once it is back (no service needed a restart).
    assert traffic.answers[-3].status == 201
