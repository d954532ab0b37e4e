"""Every CSV the platform writes: cells a spreadsheet would run as formulas are written as text."""

from decimal import Decimal

from kit.csv_cells import csv_text, safe_cell


def test_text_that_starts_a_formula_gets_a_leading_quote():
    for cell in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(cell) == "'" + cell
    assert safe_cell("Acme = good") == "Acme = good"


def test_numbers_stay_numbers_even_when_negative():
    assert safe_cell(-5) == -5
    assert safe_cell(Decimal("-10.00")) == Decimal("-10.00")
    assert csv_text([["Name", "Amount"], ['=HYPERLINK("x")', Decimal("-1.50")], [None, 3]]) == (
        'Name,Amount\r\n"\'=HYPERLINK(""x"")",-1.50\r\n,3\r\n'
    )
