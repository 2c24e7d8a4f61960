"""What the measurement models share: column lists, checks, unit codes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

ALL = "all"


def as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def require_columns(frame: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise KeyError(f"{what}: missing column(s) {missing}; have {list(frame.columns)}")


def unit_codes(frame: pd.DataFrame, unit_cols: Sequence[str]) -> np.ndarray:
    return frame.groupby(list(unit_cols), sort=True, dropna=False).ngroup().to_numpy()
