"""The published figures beside the cleaned data carry the simulated flag of the data they are compared with."""

from __future__ import annotations

import pandas as pd

from smartcity_utils.analysis.quality import published_reproduction
from smartcity_utils.tables import save_outputs


def _regency_year(simulated: list[bool]) -> pd.DataFrame:
    return pd.DataFrame({"regency_id": [1, 2], "year": [2022, 2022], "final_score_reported": [2.88, 3.1],
                         "rank_reported": pd.array([8, 3], dtype="Int64"), "is_simulated": simulated})


def _published() -> pd.DataFrame:
    return pd.DataFrame({"index": ["GMSC_eval"] * 3, "regency_id": pd.array([1, 2, 3], dtype="Int64"),
                         "year": [2022] * 3, "metric": ["indeks_smart_city"] * 3, "value": [2.88, 3.1, 2.0],
                         "rank": [8.0, 3.0, None], "region": ["A", "B", "C"]})


def test_reproduction_carries_the_simulated_flag_of_the_data(tmp_path):
    check = published_reproduction(_regency_year([True, False]), _published())
    assert check["is_simulated"].tolist() == [True, False, False]  # C has no regency-year row
    assert check["matches"].tolist() == [True, True, False]
    save_outputs(tmp_path, {"published_reproduction": check}, simulated=False)
    saved = pd.read_csv(tmp_path / "published_reproduction.csv")
    assert saved["is_simulated"].tolist() == [True, False, False]
