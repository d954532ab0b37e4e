"""Property-based (Hypothesis stateful) test of the ledger against the real database: random
top-ups, usages (some repeating a key, some at once from several threads), refunds and funding
switches. After every step: each stored balance equals the sum of its transfers, the agency's
accounts sum to zero, no balance is below zero, each idempotency key is recorded once, and the
balances are what a plain model of the rules says."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import text
from sqlalchemy.orm import Session

from billing.facts.clients import remember_client
from billing.ledger import accounts, balance_refunds, funding, topups, usage
from billing.settings import Settings
from kit.errors import LimitExceeded

CLIENTS = 3
amounts = st.integers(min_value=1, max_value=4000)


@pytest.fixture
def machine_engine(engine, db_url):
    from kit.testing import truncate_all

    truncate_all(db_url)
    return engine


def test_the_ledger_keeps_its_invariants_under_random_operations(machine_engine, make_ctx):
    engine = machine_engine

    class Ledger(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.ctx = make_ctx()
            self.session = Session(engine, expire_on_commit=False)
            self.clients = [uuid.uuid4() for _ in range(CLIENTS)]
            with self.session.begin():
                for number, client in enumerate(self.clients):
                    remember_client(self.session, self.ctx.agency, client, name=f"C{number}")
            self.agency = 0
            self.balance = dict.fromkeys(self.clients, 0)
            self.funded_by = dict.fromkeys(self.clients, "agency")
            self.paused = dict.fromkeys(self.clients, False)
            self.answers: dict[str, dict] = {}
            self.keys = 0

        def teardown(self):
            self.session.close()

        def _key(self) -> str:
            self.keys += 1
            return f"k{self.keys}"

        def _resume(self, client=None):
            for c in self.clients:
                if client is None and self.funded_by[c] == "agency":
                    self.paused[c] = False
                if client == c and self.funded_by[c] == "customer":
                    self.paused[c] = False

        @rule(amount=amounts)
        def top_up_agency(self, amount):
            with self.session.begin():
                topups.record_manual_credit(self.session, self.ctx, amount, "ref", self._key())
            self.agency += amount
            self._resume()

        @rule(number=st.integers(0, CLIENTS - 1), amount=amounts)
        def top_up_client(self, number, amount):
            client = self.clients[number]
            with self.session.begin():
                topups.record_manual_credit(
                    self.session, self.ctx, amount, "ref", self._key(), str(client)
                )
            self.balance[client] += amount
            self._resume(client)

        def _expect_usage(self, client, amount) -> bool:
            source = self.funded_by[client]
            available = self.agency if source == "agency" else self.balance[client]
            if self.paused[client] or available < amount:
                self.paused[client] = True
                return False
            if source == "agency":
                self.agency -= amount
            else:
                self.balance[client] -= amount
            return True

        @rule(number=st.integers(0, CLIENTS - 1), amount=amounts)
        def record_usage(self, number, amount):
            client = self.clients[number]
            key = self._key()
            expected = self._expect_usage(client, amount)
            try:
                answer = usage.record_usage(self.session, self.ctx, str(client), amount, "", key)
            except LimitExceeded:
                assert not expected
                return
            assert expected
            self.answers[key] = answer

        @precondition(lambda self: self.answers)
        @rule(data=st.data())
        def repeat_a_usage(self, data):
            key = data.draw(st.sampled_from(sorted(self.answers)))
            first = self.answers[key]
            again = usage.record_usage(
                self.session, self.ctx, first["client_id"], first["amount"]["amount"], "", key
            )
            assert again == first

        @rule(number=st.integers(0, CLIENTS - 1), amount=st.integers(1, 300))
        def concurrent_usage(self, number, amount):
            """Eight usages of one client at once, each from its own connection."""
            client = self.clients[number]
            keys = [self._key() for _ in range(8)]

            def one(key):
                with Session(engine) as session:
                    try:
                        return usage.record_usage(session, self.ctx, str(client), amount, "", key)
                    except LimitExceeded:
                        return None

            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(one, keys))
            recorded = [a for a in answers if a]
            source = self.funded_by[client]
            available = self.agency if source == "agency" else self.balance[client]
            if not self.paused[client]:
                assert len(recorded) == min(8, available // amount)
            else:
                assert recorded == []
            if len(recorded) < 8:
                self.paused[client] = True
            drawn = amount * len(recorded)
            if source == "agency":
                self.agency -= drawn
            else:
                self.balance[client] -= drawn
            for key, answer in zip(keys, answers, strict=True):
                if answer:
                    self.answers[key] = answer

        @rule(number=st.integers(0, CLIENTS - 1))
        def switch_to_customer(self, number):
            """As the customer's payment completes it (the Stripe part is tested end to end)."""
            client = self.clients[number]
            with self.session.begin():
                row = accounts.funding_of(self.session, self.ctx.agency, client, lock=True)
                row.funded_by, row.usage_paused = "customer", False
            self.funded_by[client], self.paused[client] = "customer", False

        @rule(number=st.integers(0, CLIENTS - 1))
        def switch_to_agency(self, number):
            client = self.clients[number]
            funding.fund_by_agency(self.session, self.ctx, None, Settings(14), str(client))
            if self.funded_by[client] == "customer":  # already the agency's: nothing changes
                self.agency += self.balance[client]
                self.balance[client] = 0
                self.funded_by[client], self.paused[client] = "agency", False

        @rule(number=st.integers(0, CLIENTS - 1), part=st.integers(1, 100))
        def refund_customer_balance(self, number, part):
            client = self.clients[number]
            if self.balance[client] == 0:
                return
            amount = max(1, self.balance[client] * part // 100)
            # Funded by manual credits here: paid back by hand (card refunds: test_ledger_funding)
            balance_refunds.refund_customer_balance(
                self.session, self.ctx, None, Settings(14), str(client), self._key(), amount
            )
            self.balance[client] -= amount

        @invariant()
        def balances_are_the_sums_of_their_transfers(self):
            rows = self.session.execute(
                text(
                    "SELECT a.kind, a.client_id, a.balance, COALESCE((SELECT sum(amount) FROM "
                    "ledger_transfers WHERE to_account_id = a.id), 0) - COALESCE((SELECT "
                    "sum(amount) FROM ledger_transfers WHERE from_account_id = a.id), 0) AS summed "
                    "FROM ledger_accounts a WHERE a.agency_id = :agency"
                ),
                {"agency": self.ctx.agency},
            ).all()
            keys = self.session.execute(
                text(
                    "SELECT count(*) = count(DISTINCT idempotency_key) FROM ledger_transfers "
                    "WHERE agency_id = :agency"
                ),
                {"agency": self.ctx.agency},
            ).scalar()
            self.session.rollback()
            assert keys
            assert sum(r.summed for r in rows) == 0
            for row in rows:
                if row.balance is not None:
                    assert row.balance == row.summed >= 0
                if row.kind == "agency":
                    assert row.balance == self.agency
                if row.kind == "client":
                    assert row.balance == self.balance[row.client_id]

    Ledger.TestCase.settings = settings(
        max_examples=20,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    Ledger.TestCase().runTest()
