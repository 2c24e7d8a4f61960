"""Reading one cell as a number, the same way everywhere.

Decimal commas (``"3,25"``) are accepted; the tokens of
``smartcity_utils/data/missing_tokens.csv`` (``-``, ``n/a``, ``belum dinilai``,
an empty cell) mean *missing*, which is not the same as a bad value.
"""

from __future__ import annotations

import re

import numpy as np

from smartcity_utils import reference as ref


def parse_number(value: object) -> tuple[float | None, str | None]:
    """A cell as a number: decimal commas accepted; returns (number, reject reason)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None, "missing"
    if isinstance(value, bool):
        return None, "not_a_number"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value), None
    text = str(value).strip()
    if text.casefold() in ref.missing_tokens():
        return None, "missing"
    text = text.replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"-?\d+,\d+", text):
        text = text.replace(",", ".")
    try:
        return float(text), None
    except ValueError:
        return None, "not_a_number"
