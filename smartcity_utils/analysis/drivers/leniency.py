"""The assessors' leniency taken out of the scores before the driver models (notebook 03, ``adjust_leniency``).

Under the crossed model of
:func:`~smartcity_utils.analysis.measurement.assessor_leniency` an assessor's
leniency is the same on every item they score; removing it from their own
scores and from the panel means they enter leaves the regency-years' scores
as a panel of average leniency would have given them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.analysis.measurement import (
    LENIENCY_COMPONENTS,
    assessor_leniency,
    assessor_rows,
)

#: Headline column of a regency-year: the only target the errors-in-variables correction applies to
#: (its error covariance is that of an assessor's own headline).
HEADLINE_TARGET = "final_score"

#: Columns shifted by a panel's leniency: every score that is a mean of the panel's assessors.
LENIENCY_COLUMNS = (*ref.PILLAR_KEYS, *ref.DIMENSION_KEYS, HEADLINE_TARGET)


def apply_panel_leniency(frame: pd.DataFrame, rows: pd.DataFrame, unit_cols: Sequence[str] = ("regency_id", "year"),
                         columns: Sequence[str] = LENIENCY_COLUMNS) -> pd.DataFrame:
    """Subtracts from each regency-year's panel means the mean leniency of the assessors who scored it.

    Under the crossed model (:func:`~smartcity_utils.analysis.measurement.assessor_leniency`)
    an assessor's leniency is the same on every item, so a panel mean of any
    item (and the headline, a weighted mean with weights summing to one) is
    shifted by the mean leniency of the panel's members. Regency-years
    without assessor rows keep their scores (shift 0).

    Args:
        frame: One row per regency-year.
        rows: Assessor rows with ``unit_cols``, ``assessor`` and ``leniency`` (one row per assessor and item
            is fine: the leniency is averaged per assessor first).
        unit_cols: Columns naming a regency-year.
        columns: Score columns to shift (those present).

    Returns:
        A copy of ``frame`` with the shifted columns and ``leniency_shift``.
    """
    keys = list(unit_cols)
    per_assessor = rows.groupby(keys + ["assessor"], as_index=False)["leniency"].mean()
    shift = per_assessor.groupby(keys, as_index=False)["leniency"].mean().rename(
        columns={"leniency": "leniency_shift"})
    out = frame.drop(columns="leniency_shift", errors="ignore").merge(shift, on=keys, how="left", validate="m:1")
    out["leniency_shift"] = out["leniency_shift"].fillna(0.0)
    for col in [c for c in columns if c in out.columns]:
        out[col] = out[col] - out["leniency_shift"]
    return out


def leniency_adjusted(frame: pd.DataFrame, scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The regency-years and the scores with every assessor's estimated leniency removed.

    Fits the crossed random-effects model (regency-year and assessor) on the
    assessor rows, subtracts each assessor's leniency (BLUP) from their own
    scores, and shifts the panel means of the regency-years they scored
    (:func:`apply_panel_leniency`).

    Returns:
        ``(frame, scores)``, both adjusted.
    """
    fit = assessor_leniency(assessor_rows(scores), ["regency_id", "year"], "assessor", "score", item_col="item",
                            components=LENIENCY_COMPONENTS)
    adjusted = fit.adjust(assessor_rows(scores, average=False))
    out_scores = scores.copy()
    out_scores.loc[adjusted.index, "score"] = adjusted["score_adjusted"]
    return apply_panel_leniency(frame, adjusted), out_scores
