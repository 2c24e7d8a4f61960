"""Measurement models for assessor scores: pillar structure, reliability, rater effects, error covariance.

Pure functions on pandas DataFrames; they import only numpy, pandas, scipy
and statsmodels, and nothing from ``smartcity_utils``, so they do not depend
on where the rest of the package keeps its tables. The one exception is
``tables`` (not imported here): it puts the models together into the tables
of the cached national analysis (``measurement_tables``).

Two layouts are used:

* *unit tables*: one row per unit (regency-year), one column per item
  (pillar scores, headline), as in ``regency_year``;
* *long scores*: one row per (unit, assessor, item) score, as in ``scores``
  filtered to ``level == "assessor"``. Functions that take long scores also
  accept the wide form (one row per unit and assessor, one column per item)
  when ``item_col`` is None and the items are named.

Nothing here gives a causal reading: a coefficient says how the headline is
associated with a pillar, holding the other pillars fixed, in these data.
"""

from smartcity_utils.analysis.measurement.error import error_covariance
from smartcity_utils.analysis.measurement.leniency import LENIENCY_COMPONENTS, LeniencyResult, assessor_leniency
from smartcity_utils.analysis.measurement.reliability import assessor_rows, icc
from smartcity_utils.analysis.measurement.structure import (
    EQUAL_TOLERANCE,
    cronbach_alpha,
    omega_total,
    pillar_mean_vs_dimensions,
    pillar_structure,
)

__all__ = [
    "EQUAL_TOLERANCE",
    "LENIENCY_COMPONENTS",
    "LeniencyResult",
    "assessor_leniency",
    "assessor_rows",
    "cronbach_alpha",
    "error_covariance",
    "icc",
    "omega_total",
    "pillar_mean_vs_dimensions",
    "pillar_structure",
]
