"""The national models run only on a national set; with fewer rows the analysis says what is missing."""

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.analysis import gate
from smartcity_utils.errors import DriverInputError
from smartcity_utils.reference import PILLAR_KEYS


def _rows(n_rows: int, n_regencies: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.uniform(1, 4, size=(n_rows, len(PILLAR_KEYS))), columns=list(PILLAR_KEYS))
    return frame.assign(final_score=frame.mean(axis=1), regency_id=np.arange(n_rows) % n_regencies)


@pytest.mark.parametrize("n_rows, n_regencies, gap", [
    pytest.param(1, 1, {"needed": gate.MIN_NATIONAL_ROWS, "rows": 1, "regencies": 1}, id="one_letter"),
    pytest.param(gate.MIN_NATIONAL_ROWS + 3, 1, {"needed": gate.MIN_NATIONAL_ROWS, "rows": gate.MIN_NATIONAL_ROWS + 3,
                                               "regencies": 1}, id="many_years_of_one_regency"),
    pytest.param(gate.MIN_NATIONAL_ROWS, 4, None, id="enough"),
])
def test_national_set_gap(n_rows, n_regencies, gap):
    assert gate.national_set_gap(_rows(n_rows, n_regencies)) == gap


def test_incomplete_rows_do_not_count():
    holed = _rows(gate.MIN_NATIONAL_ROWS, 4)
    holed.loc[0, PILLAR_KEYS[0]] = np.nan
    assert gate.national_set_gap(holed)["rows"] == gate.MIN_NATIONAL_ROWS - 1
    assert "these data have 7 from 4" in gate.national_gap_text(gate.national_set_gap(holed))


def test_the_notebook_check_is_the_same_as_the_national_one():
    with pytest.raises(DriverInputError, match=f"needs at least {gate.MIN_NATIONAL_ROWS} .*Widen the years"):
        gate.require_national_rows(_rows(gate.MIN_NATIONAL_ROWS - 1, 4), "the chosen rows", "Widen the years.")
    gate.require_national_rows(_rows(gate.MIN_NATIONAL_ROWS, 4), "the chosen rows", "Widen the years.")
