"""The command layer: choices made for the user before any stage runs."""

import pandas as pd

from smartcity_utils import commands
from smartcity_utils import reference as ref


def _years(rows: list[tuple[int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["year", "final_score_reported"])


def test_default_report_year_skips_a_year_without_weights_or_reported_index():
    weighted = sorted(int(y) for y in ref.dimension_weights()["year"].unique())
    last, beyond = weighted[-1], weighted[-1] + 1
    table = _years([(last - 1, 3.0), (last, float("nan")), (beyond, float("nan"))])
    assert commands._latest_year_with_index(table) == last


def test_default_report_year_takes_a_reported_index_without_weights():
    beyond = int(ref.dimension_weights()["year"].max()) + 1
    table = _years([(beyond - 1, 3.0), (beyond, 2.5)])
    assert commands._latest_year_with_index(table) == beyond


def test_default_report_year_falls_back_to_the_latest_year():
    table = _years([(1990, float("nan")), (1991, float("nan"))])
    assert commands._latest_year_with_index(table) == 1991
