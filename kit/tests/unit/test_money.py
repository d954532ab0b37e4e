import pytest

from kit.money import Money


def test_amounts_are_integers_of_minor_units():
    with pytest.raises(TypeError):
        Money(12.5, "USD")


def test_parsing_a_typed_amount_is_exact():
    assert Money.parse("12.50") == Money(1250, "USD")
    assert Money.parse("0.1") == Money(10, "USD")
    assert Money.parse("1,234.05") == Money(123405, "USD")
    assert Money.parse("-3") == Money(-300, "USD")
    assert Money.parse("500", "JPY") == Money(500, "JPY")


@pytest.mark.parametrize("text", ["12.505", "abc", "1.2.3", "12.x"])
def test_parsing_refuses_what_is_not_an_amount(text):
    with pytest.raises(ValueError):
        Money.parse(text)


def test_adding_different_currencies_is_refused():
    with pytest.raises(ValueError):
        Money(100, "USD") + Money(100, "EUR")


def test_arithmetic_and_formatting():
    total = Money(1999, "usd") * 3 - Money(97, "USD")
    assert total == Money(5900, "USD")
    assert total.format() == "59.00 USD"
    assert Money(-123456789, "USD").format() == "-1,234,567.89 USD"
    assert Money(1500, "JPY").format() == "1,500 JPY"
    assert total.to_dict() == {"amount": 5900, "currency": "USD"}
