"""The API keeps its contract through sequences of calls that follow the document's links.

test_api_contract.py sends each operation alone, so an id in a path is mostly one that does not
exist. Here schemathesis' state machine chains calls the way the OpenAPI `links` say (a create's
201 `id` into the operations that use it: a client into its contacts, vault, usage and into a new
assignment's or charge's body; a service into an assignment; a charge into its invoice's pdf,
refund and void...), as an agency's owner against the running system. Every answer is checked as
there: never a 5xx, a documented status, the documented media type, a body matching its schema.

Derandomized (the same sequences every run) and bounded: 50 sequences of at most 6 calls (about
a minute on a busy 2-core machine). The document's links themselves: gateway's
test_gateway_openapi.py.
"""

from __future__ import annotations

import collections
import contextlib
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky

from tests.e2e.test_api_contract import CHECKS
from tests.support.api import ApiClient

pytestmark = pytest.mark.e2e

SETTINGS = settings(
    max_examples=50,
    stateful_step_count=6,
    derandomize=True,
    database=None,
    deadline=None,
    # No shrinking: the first failing sequence is the one reported.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
# The links written in the document only (no inferred ones), and the test's own bearer token.
# Valid input only, without NUL characters (a 400 by design): the stateless test sends invalid
# input; here the creates should succeed so that what follows uses their ids.
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "with-security-parameters": False,
            "mode": "positive",
            "allow-x00": False,
            "allow-extra-parameters": False,
        },
        "phases": {"stateful": {"inference": {"algorithms": []}}},
    }
)
# They would end this test's own session or revoke its token (the one the machine calls with).
EXCLUDED = (("POST", "/api/v1/auth/logout"), ("DELETE", "/api/v1/tokens/{token_id}"))
# Not the owner's: signing up and in, and the client portal (a contact's session).
NOT_THE_OWNERS = r"^/api/v1/(auth|portal)/"


# What each create makes, by the body field that names one: a body field of that name (a new
# assignment's client_id, service_id) takes the last one made, so that the create succeeds and
# the links go on from it.
MADE_BY = {
    "POST /api/v1/clients": "client_id",
    "POST /api/v1/services": "service_id",
    "POST /api/v1/contacts": "contact_id",
    "POST /api/v1/clients/{client_id}/contacts": "contact_id",
}


def use_made(case, made: dict[str, str]) -> None:
    if isinstance(case.body, dict):
        for field, made_id in made.items():
            if field in case.body:
                case.body[field] = made_id
        if case.body.get("payment_method") == "card":
            # The new agency has no Stripe keys: a card assignment or charge is refused (422).
            case.body["payment_method"] = "check"
        if "currency" in case.body:
            # The document says a string; billing takes an ISO code only (its 422 says so).
            case.body["currency"] = "USD"


def unique(case, number: int) -> None:
    """A created thing's name and e-mail address made new: Hypothesis' simplest values repeat
    (a client "0" twice is a conflict, and its sequence would stop there)."""
    body = case.body
    if case.method != "POST" or not isinstance(body, dict):
        return
    suffix = f"~{number}"
    if isinstance(body.get("name"), str):
        name = body["name"]
        body["name"] = (name[: -len(suffix)] if len(name) > len(suffix) else name) + suffix
    if isinstance(body.get("email"), str) and "@" in body["email"]:
        body["email"] = f"n{number}.{body['email']}"


@pytest.mark.timeout(600)
def test_sequences_along_the_links_keep_the_documented_contract(base_url, new_agency):
    owner: ApiClient = new_agency()
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", config=CONFIG)
    for method, path in EXCLUDED:
        schema = schema.exclude(method=method, path=path)
    schema = schema.exclude(path_regex=NOT_THE_OWNERS)
    headers = {"Authorization": f"Bearer {owner.token}"}
    created: set[str] = set()
    made: dict[str, str] = {}
    steps: list[tuple[str, int, bool]] = []
    failures: list[str] = []

    class Machine(schema.as_state_machine()):
        def before_call(self, case):
            unique(case, len(steps))
            use_made(case, made)

        def get_call_kwargs(self, case):
            return {"headers": headers, "timeout": 30}

        def after_call(self, response, case):
            uses_created = any(id_ in case.formatted_path for id_ in created) or any(
                id_ in repr(case.body) for id_ in created
            )
            steps.append((case.operation.label, response.status_code, uses_created))
            if response.status_code == 201:
                body = response.json()
                if isinstance(body, dict) and isinstance(body.get("id"), str):
                    created.add(body["id"])
                    if case.operation.label in MADE_BY:
                        made[MADE_BY[case.operation.label]] = body["id"]

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # Kept rather than raised: a failure is reported with the request that reproduces
            # it, and the sequences go on (see below).
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (AssertionError, BaseExceptionGroup) as exc:
                failures.append(f"{exc}\n{case.as_curl_command(headers)}")

    # The system keeps what each sequence did (a second client of one name is a conflict), so
    # a sequence Hypothesis replays can take another branch (Flaky); schemathesis' own runner
    # ends its suite there too. What ran before is what was checked.
    started = time.monotonic()
    with contextlib.suppress(Flaky):
        Machine.run(settings=SETTINGS)
    assert not failures, "\n\n".join(dict.fromkeys(failures))
    # The sequences went past the creates into what uses their ids.
    linked = [step for step in steps if step[2] and step[1] < 400]
    statuses = collections.Counter(f"{label} {status}" for label, status, _ in steps)
    print(
        f"{len(steps)} calls in {time.monotonic() - started:.0f} s, {len(linked)} on created ids:"
    )
    print("\n".join(f"  {count} x {call}" for call, count in sorted(statuses.items())))
    assert len(steps) >= 60 and len(linked) >= 10, statuses
