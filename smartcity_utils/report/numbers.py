"""Every number a reader sees, formatted once: rounding, the decimal mark of the page's language, one minus sign.

The rules (each applied here and nowhere else):

* rounding is half up on the number as written (62.5 -> 63, 3.245 -> 3.25),
  not Python's half to even (``round(62.5)`` is 62): a reader who rounds the
  printed figure by hand gets the same answer;
* a value that rounds to zero shows without a sign: never ``-0.00``;
* the minus sign is U+2212 (``−0.12``), the plus sign of a signed difference
  ``+``;
* the decimal mark and the thousands separator are the page language's
  (``number_decimal_mark`` and ``number_thousands`` in the text store):
  ``3,24`` and ``1.234`` in Indonesian, ``3.24`` and ``1,234`` in English; the
  two numbers of an interval are separated by ``number_list_separator`` (a
  semicolon in Indonesian, where the comma is the decimal mark);
* scores and indices have 2 decimals (the evaluation publishes 2, e.g. Paser
  2022: 2.88); ranks, counts, percentiles and percentages are whole numbers
  (a group of 37 resolves steps of about 3 %); years are never grouped;
* an interval keeps the sign of its bounds: a bound that is not zero but would
  round to zero gets more decimals (up to :data:`SIGN_EXTRA_DECIMALS` more), so
  that ``[−0.03, 0.00]`` is printed ``[−0.030, 0.005]`` when its upper bound is
  0.0047.

Missing values show as :data:`MISSING`. A phrase of the analysis (a text key and the numbers it quotes) is
put in words by :func:`say`, its numbers by these rules.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from smartcity_utils.report.texts import text
from smartcity_utils.values import is_missing

MISSING = "-"

#: The minus sign of every negative number a reader sees.
MINUS = "\u2212"

#: Smallest p-value printed as a number; below it a table shows "< 0.001"
#: (three decimals is what a test on a few dozen regencies supports).
P_FLOOR = 0.001

#: Decimals an interval may add so that a bound that is not zero shows its sign: two (0.0047 shows as 0.005);
#: a bound smaller than half of 10^-(decimals + 2) is zero for any reading of a score.
SIGN_EXTRA_DECIMALS = 2


def round_half_up(value: float, decimals: int = 0) -> float:
    """``value`` rounded half up (away from zero at a tie) to ``decimals``, on the number as written.

    The tie is judged on the shortest decimal that reads back as the same float
    (``repr``): 3.245 is a tie (it is written 3.245) although the float is a
    hair below it.
    """
    try:
        exact = Decimal(repr(float(value)))
        return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
    except InvalidOperation:  # infinities: nothing to round
        return float(value)


def _digits(value: float, decimals: int, lang: str, group: bool = False) -> str:
    """The unsigned digits of ``abs(value)`` rounded to ``decimals``, with the language's marks."""
    shown = round_half_up(abs(float(value)), decimals)
    body = f"{shown:,.{decimals}f}" if group else f"{shown:.{decimals}f}"
    if not (group or decimals):
        return body
    point, thousands = text(lang, "number_decimal_mark"), text(lang, "number_thousands")
    return body.replace(",", "\0").replace(".", point).replace("\0", thousands)


def _signed(value: float, body: str, plus: bool) -> str:
    if set(body) <= set("0.,"):  # rounds to zero: no sign at all
        return body
    if float(value) < 0:
        return MINUS + body
    return ("+" + body) if plus else body


def _number(value: object, lang: str, decimals: int, plus: bool = False, group: bool = False) -> str:
    if is_missing(value) or not math.isfinite(float(value)):
        return MISSING
    return _signed(float(value), _digits(float(value), decimals, lang, group), plus)


def fmt_score(value: object, lang: str, decimals: int = 2) -> str:
    """A score, an index or any measured quantity: 2 decimals (3 for a computed index set beside a reported one)."""
    return _number(value, lang, decimals)


def fmt_signed(value: object, lang: str, decimals: int = 2) -> str:
    """A difference: 2 decimals with its sign (``+0.30``, ``−0.12``; ``0.00`` without a sign)."""
    return _number(value, lang, decimals, plus=True)


def fmt_int(value: object) -> str:
    """A rank, a year or a small count: a whole number, rounded half up (``8``, never ``8.0``), not grouped."""
    if is_missing(value) or not math.isfinite(float(value)):
        return MISSING
    return _signed(float(value), f"{round_half_up(abs(float(value))):.0f}", plus=False)


def fmt_plain(value: object, lang: str, max_decimals: int = 3) -> str:
    """A factor or a setting as short as it is exact (``0.5``, ``2``, ``1.25``), up to ``max_decimals``."""
    if is_missing(value) or not math.isfinite(float(value)):
        return MISSING
    shown = f"{round_half_up(float(value), max_decimals):.{max_decimals}f}".rstrip("0").rstrip(".")
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return _number(value, lang, decimals)


def fmt_count(value: object, lang: str) -> str:
    """A count that may run into thousands: grouped with the language's separator (``1.234``, ``1,234``)."""
    return _number(value, lang, 0, group=True)


def fmt_pct(value: object) -> str:
    """A percentile or a percentage (0 to 100): a whole number, rounded half up (62.5 -> 63)."""
    return fmt_int(value)


def fmt_share(value: object) -> str:
    """A share of 0 to 1 as a whole percentage (0.625 -> ``63``)."""
    return MISSING if is_missing(value) else fmt_pct(100 * float(value))


def fmt_p(value: object, lang: str) -> str:
    """A p-value: ``< 0.001`` below :data:`P_FLOOR`, else 3 decimals (never ``0.000``)."""
    if is_missing(value):
        return MISSING
    if float(value) < P_FLOOR:
        return f"< {fmt_score(P_FLOOR, lang, 3)}"
    return fmt_score(value, lang, 3)


def fmt_range(low: object, high: object) -> str:
    """A rank range ``low–high`` (one number when both agree)."""
    if is_missing(low) or is_missing(high):
        return MISSING
    lo, hi = fmt_int(low), fmt_int(high)
    return lo if lo == hi else f"{lo}–{hi}"


def sign_decimals(values: tuple[object, ...], decimals: int = 2) -> int:
    """The decimals at which every value that is not zero shows a digit that is not zero (its sign kept), from
    ``decimals`` up to ``decimals +`` :data:`SIGN_EXTRA_DECIMALS`."""
    for d in range(decimals, decimals + SIGN_EXTRA_DECIMALS + 1):
        if all(is_missing(v) or not math.isfinite(float(v)) or float(v) == 0 or round_half_up(abs(float(v)), d) > 0
               for v in values):
            return d
    return decimals  # a bound below half of 10^-(decimals + 2) is zero for every reading: no extra digits


def fmt_interval(low: object, high: object, lang: str, decimals: int = 2) -> str:
    """A confidence interval ``[low, high]`` (``[low; high]`` in Indonesian), its bounds with the decimals that
    keep their signs (:func:`sign_decimals`)."""
    if is_missing(low) or is_missing(high):
        return MISSING
    decimals = sign_decimals((low, high), decimals)
    separator = text(lang, "number_list_separator")
    return f"[{fmt_score(low, lang, decimals)}{separator} {fmt_score(high, lang, decimals)}]"


def fmt_estimate(value: object, low: object, high: object, lang: str, decimals: int = 2) -> str:
    """An estimate with its interval, ``0.41 [0.30, 0.50]``; the estimate alone without an interval, empty
    without an estimate."""
    if is_missing(value) or not math.isfinite(float(value)):
        return ""
    if is_missing(low) or is_missing(high) or not (math.isfinite(float(low)) and math.isfinite(float(high))):
        return fmt_score(value, lang, decimals)
    decimals = sign_decimals((low, high), decimals)
    return f"{fmt_score(value, lang, decimals)} {fmt_interval(low, high, lang, decimals)}"


def fmt_share_interval(value: object, low: object, high: object) -> str:
    """A share of 0 to 1 as a whole percentage with its interval, ``45 [38–54]``; the interval left out when
    not given."""
    if is_missing(value):
        return MISSING
    if is_missing(low) or is_missing(high):
        return fmt_share(value)
    return f"{fmt_share(value)} [{fmt_share(low)}–{fmt_share(high)}]"


#: Values of a phrase shown as whole percentages; other whole numbers show as they are, other numbers with
#: 2 decimals (:func:`say`).
PERCENT_VALUES = ("share", "level")


def say(lang: str, phrase: dict) -> str:
    """A phrase of the analysis in words: ``{"key": <text key>, **values}``.

    The analysis names what it found by a text key and the numbers the
    sentence quotes; this puts them in ``lang``, each number formatted by the
    rules above: a value that is a phrase itself is said first, a list of
    numbers is listed, a whole number is a count (grouped by thousands), a
    percentage (:data:`PERCENT_VALUES`) as a whole number and any other number
    with 2 decimals; text (a technical reason) is kept as it is.
    """

    def value(name: str, v: object) -> str:
        if isinstance(v, dict) and "key" in v:
            return say(lang, v)
        if isinstance(v, (list, tuple)):
            return (text(lang, "number_list_separator") + " ").join(fmt_plain(x, lang) for x in v)
        if isinstance(v, bool):
            return text(lang, "yes" if v else "no")
        if isinstance(v, int):  # a count (a phrase quotes no year): grouped by thousands
            return fmt_count(v, lang)
        if isinstance(v, float):
            return fmt_pct(v) if name in PERCENT_VALUES else fmt_score(v, lang)
        return str(v)

    return text(lang, phrase["key"], **{k: value(k, v) for k, v in phrase.items() if k != "key"})
