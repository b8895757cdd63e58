"""Text cells of the CSV files the engine writes, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return runs as a
formula in Excel, LibreOffice and Sheets (CSV injection). As the OWASP rule says, such a
text cell gets a leading ``'``, which spreadsheets show as text; the engine's readers take
it off again, so names round-trip. Numbers are never escaped: ``-1.5`` stays a number.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escaped(text: str) -> bool:
    # Escaped: a formula start, also behind apostrophes, so that a text that itself begins
    # with ' before a formula character keeps its own ' through a write and a read.
    return text.lstrip("'").startswith(FORMULA_START)


def formula_safe(text: str) -> str:
    """``text`` as a CSV text cell that no spreadsheet evaluates."""
    return "'" + text if _escaped(text) else text


def from_cell(text: str) -> str:
    """The text a cell written by :func:`formula_safe` holds."""
    return text[1:] if text.startswith("'") and _escaped(text[1:]) else text


def number_text(text: str) -> float:
    """A number as a person writes it: ``float`` without its Python-only forms (``2_97.9``
    would read as 297.9); ValueError otherwise."""
    if "_" in text:
        raise ValueError(f"'{text}' is not a number")
    return float(text)


def json_number(value: object, *, whole: bool = False) -> float:
    """A JSON number (not ``true``, not a string); ``whole``: an integer, not ``1.5``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    if whole and not (isinstance(value, int) or float(value).is_integer()):
        raise ValueError(f"{value!r} is not a whole number")
    return float(value)
