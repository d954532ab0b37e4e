"""The ledger's pure amount rules, without a database."""

import pytest

from billing.ledger.amounts import (
    covers,
    csv_cell,
    decimal_text,
    newly_low,
    running_balances,
    topup_amount,
)
from kit.errors import ValidationError


def test_a_card_top_up_is_at_least_25_dollars():
    assert topup_amount(2500) == 2500
    with pytest.raises(ValidationError):
        topup_amount(2499)


def test_a_balance_covers_a_draw_up_to_itself_and_no_further():
    assert covers(500, 500)
    assert not covers(499, 500)


def test_the_low_balance_notice_goes_once_below_the_threshold():
    assert newly_low(999, 1000, already_notified=False)
    assert not newly_low(999, 1000, already_notified=True)
    assert not newly_low(1000, 1000, already_notified=False)
    assert not newly_low(0, 0, already_notified=False)  # no threshold set: no notice


def test_running_balances_follow_the_entries_in_order():
    assert running_balances([5000, -1200, -800, 2500]) == [5000, 3800, 3000, 5500]
    assert running_balances([], opening=7) == []


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-2", "@cmd", "\tx"])
def test_csv_cells_that_a_spreadsheet_would_run_get_an_apostrophe(text):
    assert csv_cell(text) == "'" + text


def test_plain_csv_cells_are_kept():
    assert csv_cell("Call minutes") == "Call minutes"
    assert csv_cell(None) == ""


def test_amounts_print_as_decimals_without_floats():
    assert decimal_text(1205) == "12.05"
    assert decimal_text(-5) == "-0.05"
    assert decimal_text(10**11 + 1) == "1000000000.01"
