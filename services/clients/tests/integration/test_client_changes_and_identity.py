"""Client changes next to the real identity service: the plan's limit and the account managers
are asked of identity before the change's transaction opens, never inside it
(docs/contracts.md, "Calls to other systems"), and the limit still holds when creations race."""

import time

import eventlet
import pytest

from kit.errors import LimitExceeded, PermissionDenied, ServiceUnavailable


def test_clients_created_at_once_never_pass_the_plan_limit(clients, signup, set_client_limit):
    owner, _ = signup()
    set_client_limit(owner["agency_id"], 2)
    clients.create_client(owner, name="Acme")
    calls = [eventlet.spawn(clients.create_client, owner, name=f"Client {n}") for n in range(6)]
    created, refused = 0, []
    for call in calls:
        try:
            call.wait()
            created += 1
        except LimitExceeded as exc:
            refused.append(exc.message)
    assert (created, len(refused)) == (1, 5)
    assert all("Your plan allows 2 clients" in message for message in refused)
    assert clients.list_clients(owner)["total"] == 2


@pytest.mark.parametrize("clients_settings", [{"RPC_TIMEOUT": 2}])
def test_identity_not_answering_refuses_client_changes_but_holds_no_transaction(
    clients, signup, system, long_transactions_during
):
    owner, principal = signup()
    manager = [principal["principal_id"]]
    acme = clients.create_client(owner, name="Acme", account_manager_ids=manager)
    archived = clients.create_client(owner, name="Globex")
    clients.archive_client(owner, archived["id"])
    system[3].stop()  # identity away: its queue stays, nobody answers it

    # A caller without the permission is refused at once, before identity is asked.
    started = time.monotonic()
    with pytest.raises(PermissionDenied):
        clients.create_client({**owner, "permissions": []}, name="Initech")
    assert time.monotonic() - started < 1

    changes = [
        (clients.create_client, (owner,), {"name": "Initech"}),
        (clients.create_client, (owner,), {"name": "Hooli", "account_manager_ids": manager}),
        (clients.update_client, (owner, acme["id"]), {"account_manager_ids": manager}),
        (clients.restore_client, (owner, archived["id"]), {}),
        (clients.create_contact, (owner, "Ada", "ada@umbrella.com"), {"new_client": "Umbrella"}),
    ]
    started = time.monotonic()
    calls = [eventlet.spawn(method, *args, **kwargs) for method, args, kwargs in changes]
    long_transactions = long_transactions_during(calls)
    for call in calls:
        with pytest.raises(ServiceUnavailable):
            call.wait()
    assert time.monotonic() - started >= 2  # identity was waited for, RPC_TIMEOUT long
    assert long_transactions == 0
    # Nothing was changed; a change identity has nothing to say about still goes through.
    assert [c["name"] for c in clients.list_clients(owner)["items"]] == ["Acme"]
    assert clients.list_contacts(owner)["total"] == 0
    renamed = clients.update_client(owner, acme["id"], name="Acme Inc")
    assert (renamed["name"], renamed["account_manager_ids"]) == ("Acme Inc", manager)
