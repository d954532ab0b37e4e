"""The one reader of amounts billing is given (prices, rates, charges, refunds, usage, top-ups):
a whole number of minor units, without a database."""

import pytest

from billing.common import MAX_AMOUNT, clean_amount
from kit.errors import ValidationError


@pytest.mark.parametrize("value", [1.5, "100", True, None])
def test_an_amount_is_a_whole_number_of_minor_units(value):
    for positive in (False, True):
        with pytest.raises(ValidationError) as refused:
            clean_amount(value, "rate", positive=positive)
        assert refused.value.fields == {"rate": "not a whole number of minor units"}


def test_an_amount_may_be_zero_but_not_negative():
    assert clean_amount(0, "rate") == 0
    assert clean_amount(1250, "rate") == 1250
    with pytest.raises(ValidationError) as negative:
        clean_amount(-1, "rate")
    assert negative.value.fields == {"rate": "cannot be negative"}


@pytest.mark.parametrize("value", [0, -1])
def test_a_positive_amount_is_above_zero(value):
    with pytest.raises(ValidationError) as refused:
        clean_amount(value, positive=True)
    assert refused.value.fields == {"amount": "must be more than 0"}
    assert clean_amount(1, positive=True) == 1


@pytest.mark.parametrize("positive", [False, True])
def test_an_amount_past_any_real_one_is_too_large(positive):
    assert clean_amount(MAX_AMOUNT - 1, positive=positive) == MAX_AMOUNT - 1
    with pytest.raises(ValidationError) as refused:
        clean_amount(MAX_AMOUNT, positive=positive)
    assert refused.value.fields == {"amount": "too large"}
