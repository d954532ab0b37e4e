"""Money: an integer of minor units and an ISO 4217 currency code. Never a float."""

from __future__ import annotations

from dataclasses import dataclass

# Currencies whose minor unit is not a hundredth.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


@dataclass(frozen=True, order=True)
class Money:
    amount: int
    currency: str = "USD"

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount is an integer of minor units")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"not an ISO currency code: {self.currency!r}")
        object.__setattr__(self, "currency", self.currency.upper())

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int):
            raise TypeError("multiply money by an integer only")
        return Money(self.amount * factor, self.currency)

    @classmethod
    def parse(cls, text: str, currency: str = "USD") -> Money:
        """Parse a decimal string a person typed ("12.50") into minor units, exactly."""
        text = text.strip().replace(",", "")
        negative = text.startswith("-")
        whole, _, frac = text.lstrip("-").partition(".")
        places = exponent(currency)
        if (not whole.isdigit() and whole != "") or (frac and not frac.isdigit()):
            raise ValueError(f"not an amount: {text!r}")
        if len(frac) > places:
            raise ValueError(f"{currency} has {places} decimal places")
        minor = int(whole or "0") * 10**places + int((frac or "0").ljust(places, "0") or "0")
        return cls(-minor if negative else minor, currency)

    def format(self) -> str:
        places = exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), 10**places)
        body = f"{whole:,}" + (f".{frac:0{places}d}" if places else "")
        return f"{sign}{body} {self.currency}"

    def to_dict(self) -> dict:
        return {"amount": self.amount, "currency": self.currency}
