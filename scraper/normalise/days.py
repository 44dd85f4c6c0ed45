"""A day as people type it into a form (17/04/2024, 2024-4-17, 17 April 2024), read as an ISO
date. Datasette's canned queries take their dates through it (scraper/web/exact.py).

Numbers with slashes, dots or dashes are read day first (17/04/2024, 17.04.2024), as in the
outlets' countries, unless the first cannot be a month and the second can (04/17/2024 is
17 April); a year comes first only with four digits (2024-4-17, 2024/04/17).
"""

from __future__ import annotations

import re
from datetime import date

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[t ].*)?")
_NUMBERS = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\.?\s+([a-z]+)\.?,?\s+(\d{4})")
_MONTH_DAY = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
EXAMPLE = "2024-04-17, 17/04/2024 or 17 April 2024"


def _day(year: str | int, month: str | int | None, day: str | int) -> str | None:
    try:
        return date(int(year), int(month or 0), int(day)).isoformat()
    except ValueError:
        return None


def read_day(text: str) -> str | None:
    """``text`` as an ISO date (``2024-04-17``), or None when it is no day of the calendar."""
    text = text.strip().lower()
    if match := _YEAR_FIRST.fullmatch(text) or _COMPACT.fullmatch(text):
        return _day(*match.groups()[:3])
    if match := _NUMBERS.fullmatch(text):
        first, second, year = (int(g) for g in match.groups())
        day, month = (second, first) if first <= 12 < second else (first, second)
        return _day(year, month, day)
    if match := _DAY_MONTH.fullmatch(text):
        day_text, month_name, year_text = match.groups()
        return _day(year_text, MONTHS.get(month_name), day_text)
    if match := _MONTH_DAY.fullmatch(text):
        month_name, day_text, year_text = match.groups()
        return _day(year_text, MONTHS.get(month_name), day_text)
    return None
