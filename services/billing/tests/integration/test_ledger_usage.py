"""Usage drawn from the balance that funds the client, against the real database: once per
key, never below zero, refused and paused when the balance cannot cover it, resumed by a
top-up; the ledger's sums hold."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from billing.ledger import accounts, funding, topups, transfers, usage
from kit.errors import Conflict, LimitExceeded, NotFound, PermissionDenied, ValidationError


@pytest.fixture
def credit(session):
    """credit(ctx, amount, client_id=None): a manual credit into a balance, committed."""

    def run(ctx, amount, client_id=None, key=None):
        with session.begin():
            return topups.record_manual_credit(
                session, ctx, amount, "BANK-1", key or f"credit-{amount}-{client_id}", client_id
            )

    return run


def use(session, ctx, client_id, amount, key, description="Call minutes"):
    return usage.record_usage(session, ctx, client_id, amount, description, key)


def ledger_sums(session, agency_id) -> dict:
    """Stored balance vs the sum of transfers per balance account, and the agency's total."""
    rows = session.execute(
        text(
            "SELECT a.id, a.kind, a.balance, "
            "COALESCE((SELECT sum(amount) FROM ledger_transfers WHERE to_account_id = a.id), 0) "
            "- COALESCE((SELECT sum(amount) FROM ledger_transfers WHERE from_account_id = a.id), 0)"
            " AS summed FROM ledger_accounts a WHERE a.agency_id = :agency"
        ),
        {"agency": agency_id},
    ).all()
    session.rollback()
    return {
        "mismatched": [r for r in rows if r.balance is not None and r.balance != r.summed],
        "negative": [r for r in rows if r.balance is not None and r.balance < 0],
        "total": sum(r.summed for r in rows),
    }


def test_agency_funded_usage_draws_from_the_agency_balance(
    session, ctx, known_client, credit, outbox
):
    client = known_client(ctx, "Globex")
    credit(ctx, 5000)
    answer = use(session, ctx, client, 1200, "call-1")
    assert answer["funded_by"] == "agency"
    assert answer["amount"] == {"amount": 1200, "currency": "USD"}
    assert answer["balance_after"] == {"amount": 3800, "currency": "USD"}
    assert answer["client_name"] == "Globex"
    [event] = outbox(session, "usage_recorded")
    assert {k: event[k] for k in answer} == answer
    [topped] = outbox(session, "balance_topped_up")
    assert topped["method"] == "manual" and topped["account"] == "agency"
    assert topped["client_id"] is None and topped["balance_after"]["amount"] == 5000
    sums = ledger_sums(session, ctx.agency)
    assert sums == {"mismatched": [], "negative": [], "total": 0}


def test_the_same_key_twice_records_once_and_answers_the_same(
    session, ctx, known_client, credit, outbox
):
    client = known_client(ctx)
    credit(ctx, 5000)
    first = use(session, ctx, client, 700, "k-1")
    use(session, ctx, client, 300, "k-2")
    again = use(session, ctx, client, 700, "k-1")
    assert again == first
    assert len(outbox(session, "usage_recorded")) == 2
    with session.begin():
        assert accounts.get_balances(session, ctx)["agency"]["balance"]["amount"] == 4000


def test_a_key_reused_for_another_amount_is_a_conflict_and_changes_nothing(
    session, ctx, known_client, credit
):
    client = known_client(ctx)
    credit(ctx, 5000)
    use(session, ctx, client, 700, "k-1")
    with pytest.raises(Conflict) as refused:
        use(session, ctx, client, 701, "k-1")
    assert "idempotency_key" in refused.value.fields
    with session.begin():
        assert accounts.get_balances(session, ctx)["agency"]["balance"]["amount"] == 4300


def test_usage_the_balance_cannot_cover_is_refused_and_pauses_the_client_until_a_top_up(
    session, ctx, known_client, credit, outbox
):
    client = known_client(ctx)
    credit(ctx, 1000)
    with pytest.raises(LimitExceeded) as refused:
        use(session, ctx, client, 1001, "big")
    assert "paused" in refused.value.message
    [exhausted] = outbox(session, "balance_exhausted")
    assert exhausted["client_id"] == client and exhausted["funded_by"] == "agency"
    with pytest.raises(LimitExceeded):  # paused: even a small one waits for the top-up
        use(session, ctx, client, 1, "small")
    assert len(outbox(session, "balance_exhausted")) == 1
    assert accounts.get_funding(session, ctx, client)["usage_paused"] is True
    session.rollback()
    credit(ctx, 2500, key="again")
    assert use(session, ctx, client, 1001, "big")["balance_after"]["amount"] == 2499
    sums = ledger_sums(session, ctx.agency)
    assert sums["negative"] == [] and sums["mismatched"] == [] and sums["total"] == 0


def test_the_low_balance_notice_goes_once_under_the_threshold_and_again_after_a_top_up(
    session, ctx, known_client, credit, outbox
):
    client = known_client(ctx)
    with session.begin():
        accounts.set_balance_settings(session, ctx, 3000)
    credit(ctx, 5000)
    use(session, ctx, client, 2500, "a")
    use(session, ctx, client, 100, "b")
    [low] = outbox(session, "balance_low")
    assert low["account"] == "agency" and low["balance"]["amount"] == 2500
    credit(ctx, 5000, key="more")
    use(session, ctx, client, 6000, "c")
    assert len(outbox(session, "balance_low")) == 2


@pytest.mark.parametrize(
    "amount",
    [0, -5, 12.5, "100", None, True],
    ids=["zero", "negative", "float", "str", "none", "bool"],
)
def test_bad_amounts_are_refused_and_change_nothing(session, ctx, known_client, credit, amount):
    client = known_client(ctx)
    credit(ctx, 5000)
    with pytest.raises(ValidationError):
        use(session, ctx, client, amount, "bad")
    with session.begin():
        assert accounts.get_balances(session, ctx)["agency"]["balance"]["amount"] == 5000


def test_another_agencys_client_or_an_unknown_one_is_not_found(
    session, ctx, make_ctx, known_client, credit
):
    theirs = known_client(make_ctx())
    credit(ctx, 5000)
    for client in (theirs, "00000000-0000-0000-0000-000000000000", "nope"):
        with pytest.raises(NotFound):
            use(session, ctx, client, 100, f"x-{client}")
    with pytest.raises(NotFound):
        transfers.list_transfers(session, ctx, theirs)
    session.rollback()


def test_recording_usage_needs_manage_billing_and_reading_view_billing(
    session, make_ctx, known_client
):
    reader = make_ctx(permissions={"view_billing"})
    client = known_client(reader)
    with pytest.raises(PermissionDenied):
        use(session, reader, client, 100, "k")
    assert usage.list_usage(session, reader, client)["total"] == 0
    session.rollback()
    with pytest.raises(PermissionDenied):
        accounts.list_accounts(session, make_ctx(permissions=set()))


def test_customer_funded_usage_draws_from_the_clients_own_balance_and_moves_back_to_the_agency(
    session, ctx, known_client, credit, outbox, stripe_settings
):
    client = known_client(ctx)
    other = known_client(ctx, "Initech")
    with session.begin():
        funding_row = accounts.funding_of(session, ctx.agency, uuid.UUID(client))
        funding_row.funded_by = "customer"
    credit(ctx, 3000, client_id=client)
    credit(ctx, 100)
    answer = use(session, ctx, client, 1000, "c-1")
    assert answer["funded_by"] == "customer" and answer["balance_after"]["amount"] == 2000
    assert use(session, ctx, other, 100, "o-1")["funded_by"] == "agency"
    switched = funding.fund_by_agency(session, ctx, None, stripe_settings, client)
    assert switched["funded_by"] == "agency" and switched["balance"]["amount"] == 0
    with session.begin():
        assert accounts.get_balances(session, ctx)["agency"]["balance"]["amount"] == 2000
    [changed] = outbox(session, "funding_changed")
    assert (changed["client_id"], changed["funded_by"]) == (client, "agency")
    page = transfers.list_transfers(session, ctx, client)
    session.rollback()
    assert [(i["kind"], i["balance_after"]["amount"]) for i in page["items"]] == [
        ("funding_move", 0),
        ("usage", 2000),
        ("manual_credit", 3000),
    ]


def test_the_ledger_csv_neutralises_formula_cells(session, ctx, known_client, credit):
    client = known_client(ctx)
    credit(ctx, 5000)
    usage.record_usage(session, ctx, client, 100, '=HYPERLINK("x")', "k")
    with session.begin():
        csv_text = transfers.transfers_csv(session, ctx, "agency")
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("recorded_on,kind,direction,amount,balance_after")
    assert "'=HYPERLINK" in lines[2]
    assert ",out,1.00,49.00," in lines[2]


def test_a_transfer_cannot_be_changed_or_deleted(session, ctx, known_client, credit):
    credit(ctx, 5000)
    with pytest.raises(DBAPIError), session.begin():
        session.execute(text("UPDATE ledger_transfers SET amount = 1"))
    with pytest.raises(DBAPIError), session.begin():
        session.execute(text("DELETE FROM ledger_transfers"))


def test_the_database_refuses_a_balance_below_zero_whatever_the_code(session, ctx, credit):
    credit(ctx, 100)
    with pytest.raises(IntegrityError), session.begin():
        agency = accounts.system_account(session, ctx.agency, "agency")
        usage_account = accounts.system_account(session, ctx.agency, "usage")
        session.execute(
            text(
                "INSERT INTO ledger_transfers (id, agency_id, from_account_id, to_account_id,"
                " amount, currency, kind, description, reference, idempotency_key,"
                " recorded_on, created_at) VALUES (gen_random_uuid(), :agency, :src, :dst,"
                " 101, 'USD', 'usage', '', '', 'raw', current_date, now())"
            ),
            {"agency": ctx.agency, "src": agency.id, "dst": usage_account.id},
        )


def test_many_writers_on_one_client_lose_no_update_and_never_overdraw(
    engine, ctx, known_client, credit, session
):
    """32 threads, each its own connection, draw 20 usages of 7 from a balance of 3,000: every
    draw the balance covers is recorded, the rest refused, and the sums hold."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy.orm import Session

    client = known_client(ctx)
    credit(ctx, 3000)

    def writer(number):
        done = 0
        with Session(engine) as own:
            for i in range(20):
                try:
                    usage.record_usage(own, ctx, client, 7, "", f"w{number}-{i}")
                    done += 1
                except LimitExceeded:
                    pass
        return done

    with ThreadPoolExecutor(32) as pool:
        recorded = sum(pool.map(writer, range(32)))
    assert recorded == 3000 // 7
    sums = ledger_sums(session, ctx.agency)
    assert sums == {"mismatched": [], "negative": [], "total": 0}
    with session.begin():
        assert accounts.get_balances(session, ctx)["agency"]["balance"]["amount"] == 3000 % 7


def test_draws_run_together_answer_each_as_it_would_alone(
    session, ctx, known_client, credit, outbox
):
    """One statement for many draws of one client (the service batches concurrent ones): in
    order, a key twice recorded once, another amount on a used key a conflict, and the draw
    the balance cannot cover refused and pausing the ones after it."""
    client = known_client(ctx)
    credit(ctx, 10)
    draws = [(4, "a"), (4, "b"), (4, "a"), (5, "a"), (3, "c"), (1, "d")]
    rows = usage.draw_many(
        session, [usage.draw_params(ctx, client, amount, "Calls", key) for amount, key in draws]
    )
    assert [r.status for r in rows] == [
        "recorded",
        "recorded",
        "repeat",
        "conflict",
        "short",
        "paused",
    ]
    assert [r.balance_after for r in rows[:3]] == [6, 2, 6]
    assert rows[2].transfer_id == rows[0].transfer_id
    assert len(outbox(session, "usage_recorded")) == 2
    assert len(outbox(session, "balance_exhausted")) == 1
    assert accounts.get_funding(session, ctx, client)["usage_paused"] is True
    session.rollback()
    sums = ledger_sums(session, ctx.agency)
    assert sums["negative"] == [] and sums["mismatched"] == [] and sums["total"] == 0
    other = known_client(ctx)
    with pytest.raises(ValueError):
        usage.draw_many(
            session,
            [usage.draw_params(ctx, c, 1, "", f"x{c}") for c in (client, other)],
        )
