"""The national models stop with a clear message when the data hold too few regencies."""

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.analysis import run
from smartcity_utils.errors import DriverInputError
from smartcity_utils.reference import PILLAR_KEYS


def _rows(n_rows: int, n_regencies: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.uniform(1, 4, size=(n_rows, len(PILLAR_KEYS))), columns=list(PILLAR_KEYS))
    return frame.assign(final_score=frame.mean(axis=1), regency_id=np.arange(n_rows) % n_regencies)


def test_one_regency_of_the_users_own_stops_with_the_fix():
    with pytest.raises(DriverInputError, match=r"have 1 from 1 regency.*--with-example"):
        run._require_national_set(_rows(1, 1), run.processed_folder("/tmp/own"))


def test_many_years_of_one_regency_are_not_a_national_set():
    with pytest.raises(DriverInputError, match="from 1 regency"):
        run._require_national_set(_rows(run.MIN_NATIONAL_ROWS + 3, 1), run.processed_folder(None))


def test_enough_complete_rows_pass_and_incomplete_ones_do_not_count():
    enough = _rows(run.MIN_NATIONAL_ROWS, 4)
    run._require_national_set(enough, run.processed_folder(None))
    holed = enough.copy()
    holed.loc[0, PILLAR_KEYS[0]] = np.nan
    with pytest.raises(DriverInputError, match=f"have {run.MIN_NATIONAL_ROWS - 1} from"):
        run._require_national_set(holed, run.processed_folder(None))


def test_the_notebook_check_is_the_same_as_the_national_one():
    with pytest.raises(DriverInputError, match=f"need at least {run.MIN_NATIONAL_ROWS} .*Widen the years"):
        run.require_national_rows(_rows(run.MIN_NATIONAL_ROWS - 1, 4), "the chosen rows", "Widen the years.")
    run.require_national_rows(_rows(run.MIN_NATIONAL_ROWS, 4), "the chosen rows", "Widen the years.")
