import pytest
from nameko.exceptions import RemoteError, serialize

from kit.context import PORTAL, Context
from kit.errors import Conflict, NotFound, PermissionDenied, StripeKeyRefused, ValidationError
from kit.rpc import translate_remote_error
from kit.tables import backoff_seconds


def _over_the_wire(exc: Exception) -> RemoteError:
    data = serialize(exc)
    return RemoteError(data["exc_type"], data["value"])


def test_a_domain_error_crosses_rpc_with_its_class_message_and_fields():
    sent = ValidationError("Check the highlighted fields.", {"email": "Not an e-mail address."})
    received = translate_remote_error(_over_the_wire(sent))
    assert isinstance(received, ValidationError)
    assert received.message == "Check the highlighted fields."
    assert received.fields == {"email": "Not an e-mail address."}
    assert received.http_status == 422


def test_each_domain_error_keeps_its_status():
    assert translate_remote_error(_over_the_wire(NotFound("no such client"))).http_status == 404
    assert translate_remote_error(_over_the_wire(Conflict("taken"))).code == "conflict"


def test_a_refused_stripe_key_crosses_rpc_as_itself_a_409_of_its_own_code():
    received = translate_remote_error(_over_the_wire(StripeKeyRefused("enter a new key")))
    assert isinstance(received, StripeKeyRefused) and isinstance(received, Conflict)
    assert (received.http_status, received.code) == (409, "stripe_key_refused")


def test_an_unknown_remote_error_stays_a_remote_error():
    received = translate_remote_error(_over_the_wire(KeyError("boom")))
    assert isinstance(received, RemoteError)


def test_context_round_trips_and_checks_permissions():
    ctx = Context(agency_id="6a0d3a1e-0000-4000-8000-000000000001", permissions=frozenset({"a"}))
    again = Context.from_dict(ctx.to_dict())
    assert again == ctx
    again.require("a")
    with pytest.raises(PermissionDenied) as denied:
        again.require("a", "b")
    assert denied.value.fields == {"permission": ["b"]}


def test_portal_principals_hold_no_team_permission():
    ctx = Context(agency_id=None, kind=PORTAL, permissions=frozenset({"view_clients"}))
    with pytest.raises(PermissionDenied):
        ctx.require("view_clients")


def test_retry_backoff_grows_and_is_capped():
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff_seconds(50) == 600


def test_require_any_needs_one_of_the_permissions_and_refuses_the_portal():
    reader = Context(agency_id="a", permissions=frozenset({"view_clients"}))
    reader.require_any("view_billing", "view_clients")
    with pytest.raises(PermissionDenied):
        reader.require_any("view_billing", "manage_billing")
    with pytest.raises(PermissionDenied):
        Context(agency_id="a", kind=PORTAL, permissions=frozenset({"x"})).require_any("x")
