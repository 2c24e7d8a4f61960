"""Notebook 02's findings against the tables they come from: the delta's interval, the Holm family, and the
calendar years a comparison at equal years in the programme mixes in."""

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.analysis.cohorts import compare_cohorts
from smartcity_utils.report import narrative
from smartcity_utils.report.numbers import fmt_signed


def _rows() -> pd.DataFrame:
    # Cohort 2017 seen in 2021-2022, cohort 2018 in 2022-2023; cohort 2017 higher by 0.5 in every year.
    rng = np.random.default_rng(6)
    frames = []
    for cohort, shift in ((2017, 0.5), (2018, 0.0)):
        for year in (cohort + 4, cohort + 5):
            frames.append(pd.DataFrame({"regency_id": np.arange(20) + 100 * (cohort - 2016), "cohort_year": cohort,
                                        "year": year, "score": rng.normal(3 + shift, 0.2, 20)}))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_programme_year_finding_quotes_the_interval_the_holm_family_and_the_calendar_years(lang):
    rows = _rows()
    calendar = compare_cohorts(rows, ["score"], by="calendar", n_boot=20)
    programme = compare_cohorts(rows, ["score"], by="programme_year", n_boot=20)
    sentences = narrative._cohort_test_sentences(programme, lang)
    top = programme.pairwise.loc[programme.pairwise["cliffs_delta"].abs().idxmax()]
    largest = sentences[1]
    assert fmt_signed(top["cliffs_delta_low"], lang) in largest
    assert fmt_signed(top["cliffs_delta_high"], lang) in largest
    assert top["calendar_a"] != top["calendar_b"]
    assert f"{top['calendar_a']}" in sentences[2] and f"{top['calendar_b']}" in sentences[2]
    # The Kruskal-Wallis family is the measures of one time point (one here), not all the tests together.
    assert programme.kruskal["holm_family"].eq(1).all()
    assert ("Each of the 2 time points has one measure" in sentences[0]
            or "Setiap titik dari 2 titik waktu hanya memiliki satu ukuran" in sentences[0])
    assert "1 measures" not in sentences[0]
    # In the same calendar year the cohorts differ in years in the programme: that is said instead.
    said = narrative._cohort_test_sentences(calendar, lang)
    assert any("1" in s and ("longer" in s or "lebih lama" in s) for s in said)


@pytest.mark.parametrize(("sizes", "expected"), [
    ({2021: 3, 2022: 3}, "at each of the 2 time points, across the 3 measures of that time point, not across all 6"),
    ({2021: 2, 2022: 3}, "across the 2–3 measures"),
    ({2021: 1, 2022: 1, 2023: 1}, "Each of the 3 time points has one measure"),
    ({2022: 4}, "across the 4 measures of the one time point"),
    ({2022: 1}, "one test, so no correction"),
])
def test_the_holm_family_is_worded_in_agreement_with_its_size(sizes, expected):
    said = narrative.holm_family_text(pd.Series(sizes), "en")
    assert expected in said
    assert "1 measures" not in said and "1 time points" not in said


@pytest.mark.parametrize("lang", ["en", "id"])
def test_no_test_is_said_as_such_not_as_one_test(lang):
    # Each year holds one cohort only: nothing can be compared, and the page must not speak of "one test".
    rows = pd.DataFrame({"regency_id": [1, 2, 3, 4], "cohort_year": [2017, 2017, 2018, 2018],
                         "year": [2020, 2020, 2021, 2021], "score": [3.0, 3.1, 2.9, 3.2]})
    comparison = compare_cohorts(rows, ["score"], by="calendar", n_boot=10)
    assert comparison.kruskal.dropna(subset=["p_holm"]).empty
    said = narrative._cohort_test_sentences(comparison, lang)
    assert said == [narrative.text(lang, "finding_cohort_no_test", time=narrative.text(lang, "time_calendar"))]
    assert "one test" not in " ".join(said) and "satu uji" not in " ".join(said)
    with pytest.raises(ValueError, match="no test"):
        narrative.holm_family_text(pd.Series(dtype=int), lang)
