"""Whether the data carry the national models, and what the cached analysis can show.

The national models (the measurement model, rank uncertainty, the driver
models) compare regencies: they need :data:`MIN_NATIONAL_ROWS` regency-years
with all six pillars and an index, from two regencies or more
(:func:`national_set_gap`). ``smartcity analyse`` skips them with the reason
written to its metadata when the data hold fewer; notebook 03 stops with one
line (:func:`require_national_rows`); :func:`analysis_coverage` says which
analysis pages the cached analysis can carry.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from smartcity_utils import paths
from smartcity_utils.errors import DriverInputError
from smartcity_utils.reference import PILLAR_KEYS
from smartcity_utils.tables import load_analysis, processed_folder


def driver_frame(index_ranks: pd.DataFrame) -> pd.DataFrame:
    """Rows usable by the driver models: every pillar and the headline present."""
    cols = list(PILLAR_KEYS) + ["final_score"]
    return index_ranks.dropna(subset=cols).reset_index(drop=True)


#: The fewest regency-years with all six pillars and an index that the national models need:
#: the regression has seven coefficients and needs at least one residual degree of freedom.
MIN_NATIONAL_ROWS = len(PILLAR_KEYS) + 2


def require_national_rows(frame: pd.DataFrame, source: str, fix: str) -> None:
    """Stop with a one-line error when the rows are too few for models across regencies.

    The rule is :func:`national_set_gap`'s.

    Args:
        frame: Regency-year rows (incomplete ones do not count).
        source: What the rows are (a folder, a selection), first in the message.
        fix: The sentence that says what to do, last in the message.

    Raises:
        DriverInputError: too few complete rows or a single regency.
    """
    gap = national_set_gap(frame)
    if gap is not None:
        raise DriverInputError(f"{source}: the national models compare regencies and {national_gap_text(gap)} "
                               f"regency(ies). {fix}")


def national_set_gap(index_ranks: pd.DataFrame) -> dict[str, int] | None:
    """What the data lack for models across regencies (``needed``, ``rows``, ``regencies``); None when they
    hold enough."""
    complete = driver_frame(index_ranks)
    n, regencies = len(complete), int(complete["regency_id"].nunique())
    if n >= MIN_NATIONAL_ROWS and regencies >= 2:
        return None
    return {"needed": MIN_NATIONAL_ROWS, "rows": n, "regencies": regencies}


def national_gap_text(gap: dict[str, int]) -> str:
    """The gap of :func:`national_set_gap` in one phrase (the command line's and the metadata's words)."""
    return (f"needs at least {gap['needed']} regency-years with all six pillars and an index, from two "
            f"regencies or more; these data have {gap['rows']} from {gap['regencies']}")


#: The fewest regency-years with an index and a known cohort, in two cohorts or more, for a comparison of
#: cohorts: as many as the national models need (a comparison across the nation, not of a few letters).
MIN_COHORT_ROWS = MIN_NATIONAL_ROWS


def analysis_coverage(path: str | Path | None = None) -> dict[str, str | None]:
    """What the cached analysis can show, per kind of analysis page: None, or what the data lack.

    ``cohorts``: a comparison of cohorts needs :data:`MIN_COHORT_ROWS` regency-years
    with an index and a known cohort, from two cohorts or more. ``drivers``: the
    pillar driver models need the national models to have run (``skipped`` in the metadata).
    """
    folder = processed_folder(path)
    meta = json.loads((paths.analysis_dir(folder) / paths.ANALYSIS_META).read_text(encoding="utf-8"))
    index_ranks = load_analysis(folder, ("index_ranks",))["index_ranks"]
    known = index_ranks.dropna(subset=["final_score", "cohort_year"])
    cohorts = None
    if len(known) < MIN_COHORT_ROWS or known["cohort_year"].nunique() < 2:
        cohorts = (f"needs at least {MIN_COHORT_ROWS} regency-years with an index and a known cohort, from two "
                   f"cohorts or more; these data have {len(known)} from {known['cohort_year'].nunique()}")
    drivers = next(iter(meta.get("skipped", {}).values()), None)
    return {"cohorts": cohorts, "drivers": drivers}
