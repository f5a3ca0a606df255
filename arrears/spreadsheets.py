"""Text bound for a spreadsheet (CSV or XLSX exports). Names and descriptions come from the
public complaint form and imports; Excel runs a cell that starts with = + - @ (or a tab or
carriage return before one) as a formula, so such text is written with a leading apostrophe,
which spreadsheets show as plain text. Importers take the apostrophe off again."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def restore(value: str) -> str:
    """The text as typed, from a cell `neutralise` wrote."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value
