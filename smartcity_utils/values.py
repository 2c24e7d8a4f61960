"""Reading one cell, the same way everywhere: numbers, scores, years, stages, flags, times.

Decimal commas (``"3,25"``) are accepted; the tokens of
``smartcity_utils/data/missing_tokens.csv`` (``-``, ``n/a``, ``belum dinilai``,
an empty cell) mean *missing*, which is not the same as a bad value.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pandas as pd

from smartcity_utils import reference as ref


def is_blank(value: object) -> bool:
    """True for None, empty or whitespace-only cells (the raw cell, before it is read)."""
    return value is None or (isinstance(value, str) and not value.strip())


def is_missing(value: object) -> bool:
    """True for a value a table does not hold: None, ``pd.NA`` or NaN (text, even empty, is a value)."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, str):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def means_missing(value: object) -> bool:
    """True for a cell that says nothing: blank, NaN, or a word for missing (``-``, ``n/a``: ``missing_tokens.csv``)."""
    if isinstance(value, str):
        return not value.strip() or ref.normalise_label(value) in ref.missing_tokens()
    return is_missing(value)


#: Trailing footnote marks after a number: asterisks, daggers, superscript digits, "(1)".
FOOTNOTE_MARK = re.compile(r"(?<=[\d%])(\*+|[\u2020\u2021\u00b9\u00b2\u00b3]+|\(\d\))$")


def _without_marks(text: str) -> tuple[str, str]:
    """A number's text without spaces, a trailing footnote mark and a ``%`` sign; and the marks removed."""
    text = text.replace("\u00a0", "").replace(" ", "")
    # A footnote mark ("3,25*", "3,25 (1)") refers to a note below the table; the number stands.
    mark = FOOTNOTE_MARK.search(text)
    text = FOOTNOTE_MARK.sub("", text)
    # "85%" on a 0 to 100 sheet is 85 points; the sheet's scale decides the conversion.
    percent = "%" if text.endswith("%") else ""
    return text.removesuffix("%"), percent + (mark.group(0) if mark else "")


def dropped_marks(value: object) -> str:
    """The footnote mark or ``%`` sign ``parse_number`` drops from a cell it reads (``"3,25*"`` -> ``"*"``).

    Empty when the cell is not text, holds no mark, or is not read as a number.
    """
    if not isinstance(value, str) or parse_number(value)[1] is not None:
        return ""
    return _without_marks(value.strip())[1]


#: A number as text: digits with one decimal point or comma, an optional sign and exponent. What
#: ``float()`` also takes (``3_5`` read as 35, ``inf``, ``nan``) is no number a person writes in a sheet.
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def parse_number(value: object) -> tuple[float | None, str | None]:
    """A cell as a number: decimal commas accepted; returns (number, reject reason).

    A formula without a stored value and an error cell (:class:`FormulaCell`, :class:`ErrorCell`) give
    their own reasons; a number that is not finite (``1e400``) is ``not_a_number``; ``-0`` is 0.
    """
    if isinstance(value, ErrorCell):
        return None, "error_cell"
    if isinstance(value, AmbiguousNumber):
        return None, "ambiguous_number"
    if isinstance(value, FormulaCell):
        return None, "formula_without_value"
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None, "missing"
    if isinstance(value, bool):
        return None, "not_a_number"
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return (number + 0.0, None) if np.isfinite(number) else (None, "not_a_number")
    text = str(value).strip()
    if text.casefold() in ref.missing_tokens():
        return None, "missing"
    text, _marks = _without_marks(text)
    if not _NUMBER_TEXT.fullmatch(text) or text.count(",") > 1:
        return None, "not_a_number"
    number = float(text.replace(",", "."))
    if not np.isfinite(number):
        return None, "not_a_number"
    return number + 0.0, None  # -0 is 0


class FormulaCell(str):
    """A formula cell without a stored value, as its formula (``=SUM(B2:B4)``): no value to read.

    Excel stores the result of each formula beside it; a file written by
    another tool, or saved without recalculation, may store none. The cell is
    kept as its formula text so that a reject shows it.
    """


class AmbiguousNumber(str):
    """A number such as ``3.250`` in a sheet that writes its decimals with a comma: 3.25, or 3250 with a
    thousands point as Indonesian writes it? It is not guessed (:func:`mark_ambiguous_numbers`)."""


_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
_POINT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+$")


def mark_ambiguous_numbers(rows: list[list[object]], columns: list[int], first_row: int) -> int:
    """In a sheet whose numbers are typed with a decimal comma, mark ``3.250`` as :class:`AmbiguousNumber`.

    Only text cells of ``columns`` from ``first_row`` on are looked at (Excel's own numbers carry no
    mark). Returns how many cells were marked.
    """
    cells = [(row, j) for row in rows[first_row:] for j in columns if j < len(row) and isinstance(row[j], str)]
    if not any(_COMMA_DECIMAL.match(row[j].strip()) for row, j in cells):
        return 0
    marked = 0
    for row, j in cells:
        if _POINT_THOUSANDS.match(row[j].strip()):
            row[j] = AmbiguousNumber(row[j])
            marked += 1
    return marked


class ErrorCell(str):
    """A cell holding an error code (``#DIV/0!``, ``#N/A``, ``#REF!``), as that code."""


#: The suggested fix of each reason ``parse_number`` gives.
SUGGEST = {
    "missing": "no score given; fill it in the source if it exists",
    "not_a_number": "write the score as a number, e.g. 3,25 or 3.25",
    "formula_without_value": "the cell holds a formula whose result the file does not store; open the file in "
                             "Excel or LibreOffice, let it recalculate, save, and rerun (or type the value)",
    "error_cell": "the cell holds an error of its formula; correct the formula or type the value",
    "ambiguous_number": "this sheet writes decimals with a comma, so a point here may be a thousands separator "
                        "(3.250 = 3250) or a decimal point (3.25); write it with a comma (3,25) or without "
                        "the point",
}


def parse_score(value: object, scale: int) -> tuple[float | None, str | None, str | None]:
    """A score converted to the 0 to 4 scale; returns (score, reason, suggestion)."""
    number, reason = parse_number(value)
    if reason:
        return None, reason, SUGGEST[reason]
    low, high = ref.SCORE_SCALE
    score = number * high / 100.0 if scale == 100 else number
    if not low <= score <= high:
        return None, "out_of_range", f"scores run from 0 to {scale} on this sheet; check the value"
    return round(score, 6), None, None


#: A rank written with its group size, as letters and regional pages quote it:
#: "8 dari 37", "8/37", "8 of 37", "ke-8 dari 37 kabupaten/kota".
_RANK_OF = re.compile(r"^(?:peringkat\s*)?(?:ke\s*-?\s*)?(\d+)\s*(?:/|dari|of)\s*(\d+)\b.*$")
_RANK_ALONE = re.compile(r"^(?:peringkat\s*)?(?:ke\s*-?\s*)?(\d+)$")


#: The largest rank, group size or count read from a file. A rank or a group size counts regencies
#: (Indonesia has 514 regencies and cities), a count of agencies the offices of one regency (a few
#: dozen); 100,000 leaves ample room, and keeps every count far inside the 64-bit integers the tables
#: hold (a group size of 1e20 would overflow them). A larger number is a typo: rejected as ``too_large``.
MAX_COUNT = 100_000

#: The suggested fix of a count or rank above :data:`MAX_COUNT`.
TOO_LARGE_FIX = (f"a rank or a count is a whole number up to {MAX_COUNT:,} (Indonesia has 514 regencies and "
                 "cities); check the cell for a typo")


def parse_rank(value: object) -> tuple[int | None, int | None, str | None]:
    """A rank cell: ``(rank, group size or None, reject reason)``.

    ``8``, ``8.0``, ``ke-8``, ``8 dari 37``, ``8/37`` and ``8 of 37`` are read;
    a rank is a whole number from 1, and not above its group's size; a rank or
    a size above :data:`MAX_COUNT` is ``too_large``.
    """
    if isinstance(value, str) and value.strip():
        text = ref.normalise_label(value).replace(" / ", "/")
        if text not in ref.missing_tokens():
            match = _RANK_OF.match(text) or _RANK_ALONE.match(text)
            if match is None:
                return None, None, "bad_rank"
            rank = int(match.group(1))
            size = int(match.group(2)) if match.re is _RANK_OF else None
            if rank > MAX_COUNT or (size is not None and size > MAX_COUNT):
                return None, None, "too_large"
            if rank < 1 or (size is not None and rank > size):
                return None, None, "bad_rank"
            return rank, size, None
    number, reason = parse_number(value)
    if reason:
        return None, None, reason
    if number > MAX_COUNT:
        return None, None, "too_large"
    if number < 1 or not float(number).is_integer():
        return None, None, "bad_rank"
    return int(number), None, None


def parse_count(value: object, minimum: int = 1) -> tuple[int | None, str | None]:
    """A whole number from ``minimum`` (a group size from 1, agencies from 0) up to :data:`MAX_COUNT`:
    ``(count, reject reason)``."""
    number, reason = parse_number(value)
    if reason:
        return None, reason
    if number > MAX_COUNT:
        return None, "too_large"
    if number < minimum or not float(number).is_integer():
        return None, "bad_count"
    return int(number), None


TRUE_FLAGS = {"ya", "yes", "y", "true", "1", "simulasi"}


FALSE_FLAGS = {"tidak", "no", "n", "false", "0", "", "real", "asli"}


def parse_flag(value: object) -> bool | None:
    """``Simulasi`` cell as bool; None when it is neither yes nor no."""
    text = "" if value is None else str(value).strip().casefold()
    if text in TRUE_FLAGS:
        return True
    if text in FALSE_FLAGS:
        return False
    return None


STAGE_PATTERN = re.compile(r"^(tahap\s*)?(ke\s*-?\s*)?(i{1,3}|iv|[1-4])$")


ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}


def parse_stage(value: object) -> str | None:
    """``Tahap II``, ``2``, ``II`` -> ``II``; None when unreadable."""
    if is_blank(value):
        return None
    text = ref.normalise_label(value)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    match = STAGE_PATTERN.match(text)
    if not match:
        return None
    token = match.group(3)
    return ROMAN.get(token, token.upper())


#: Timestamp layouts of form exports; slashed dates are day first, as Indonesian exports write them.
TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
                     "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M:%S")


def parse_timestamp(value: object) -> pd.Timestamp | None:
    """A submission time or a date in one of ``TIMESTAMP_FORMATS``, or a spreadsheet date; None when blank or
    unreadable."""
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return pd.Timestamp(value)
    if is_blank(value):
        return None
    text = str(value).strip()
    for fmt in TIMESTAMP_FORMATS:
        try:
            return pd.Timestamp(datetime.strptime(text, fmt))
        except ValueError:
            continue
    return None


#: Plausible evaluation and cohort years, inclusive. The programme started in 2017
#: (docs/sources.md: first cohort of 25); 2015 leaves room for baseline years quoted in
#: masterplans, 2035 for plans ahead. A year outside is read as a typo.
YEAR_RANGE = (2015, 2035)
_YEAR_IN_TEXT = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def is_plausible_year(number: float) -> bool:
    """True for a whole number inside ``YEAR_RANGE``."""
    return float(number).is_integer() and YEAR_RANGE[0] <= number <= YEAR_RANGE[1]


def parse_year(value: object) -> int | None:
    """A plausible evaluation year (``YEAR_RANGE``) or None."""
    number, reason = parse_number(value)
    if reason or number is None or not is_plausible_year(number):
        return None
    return int(number)


def year_from_text(*texts: str) -> int | None:
    """First plausible year (``YEAR_RANGE``) written in a title, sheet or file name."""
    for text in texts:
        for match in _YEAR_IN_TEXT.finditer(text or ""):
            if is_plausible_year(int(match.group(1))):
                return int(match.group(1))
    return None
