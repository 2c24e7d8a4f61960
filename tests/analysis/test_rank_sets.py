"""Confidence sets for ranks: the reference package's PISA example, and cases whose true ranks are known."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.analysis.rank_sets import (
    marginal_sets,
    panel_index_variance,
    rank_confidence_sets,
    shared_error_sd,
    simultaneous_sets,
    tau_best,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pisa2018_math.csv"


@pytest.fixture(scope="module")
def pisa():
    frame = pd.read_csv(FIXTURE, comment="#")
    assert len(frame) == 38
    return frame, frame["math_score"].to_numpy(), np.diag(frame["math_se"].to_numpy() ** 2)


def _at(frame, name):
    return int(np.flatnonzero(frame["jurisdiction"] == name)[0])


def test_pisa_top5_sets_as_the_vignette_prints(pisa):
    """csranks' vignette: 12 countries may be among the top 5 at 95 %; at 90 % Sweden drops out."""
    frame, x, cov = pisa
    top12 = {"Japan", "Korea", "Estonia", "Netherlands", "Poland", "Switzerland", "Canada", "Denmark",
             "Slovenia", "Belgium", "Finland", "Sweden"}
    for seed in (0, 1):
        at95 = set(frame["jurisdiction"][tau_best(x, cov, 5, 0.95, 1000, seed)])
        at90 = set(frame["jurisdiction"][tau_best(x, cov, 5, 0.90, 1000, seed)])
        assert at95 == top12
        assert at90 == top12 - {"Sweden"}


def test_pisa_united_kingdom_marginal_set(pisa):
    """The vignette prints 7 to 23 for the United Kingdom (estimated 13th) at 95 %.

    The upper bound is 23 for every seed. The lower bound sits on a knife edge: Canada's difference
    from the United Kingdom is 2.94 standard errors, the step's critical value as near as Monte Carlo can
    tell (even with 200,000 draws), so with 1000 draws, as the vignette ran, the bound is 7 or 8 by seed.
    """
    frame, x, cov = pisa
    uk = _at(frame, "United Kingdom")
    lows = []
    for seed in range(12):
        low, high = marginal_sets(x, cov, 0.95, 1000, seed, indices=[uk])
        assert high[0] == 23
        lows.append(int(low[0]))
    assert set(lows) == {7, 8}
    se = np.sqrt(cov[uk, uk] + cov[_at(frame, "Canada"), _at(frame, "Canada")])
    assert (x[_at(frame, "Canada")] - x[uk]) / se == pytest.approx(2.942, abs=0.001)


def test_pisa_simultaneous_sets(pisa):
    """The vignette's reading of the 95 % and 75 % simultaneous sets."""
    frame, x, cov = pisa
    low, high = simultaneous_sets(x, cov, 0.95, 2000, 0)
    de, kr = _at(frame, "Germany"), _at(frame, "Korea")
    assert low[de] <= 7 <= high[de] and low[kr] <= 7 <= high[kr]  # both hold rank 7: not told apart
    bottom = [_at(frame, c) for c in ("Chile", "Mexico", "Costa Rica", "Colombia")]
    rest = np.setdiff1d(np.arange(len(x)), bottom)
    assert low[bottom].min() > high[rest].max()  # the bottom group's sets overlap no other country's
    low75, high75 = simultaneous_sets(x, cov, 0.75, 2000, 0)
    assert high75[kr] < low75[de]  # at 75 % Korea is shown above Germany
    # Simultaneous sets contain the marginal ones and the estimated rank.
    mlow, mhigh = marginal_sets(x, cov, 0.95, 2000, 0)
    rank = pd.Series(x).rank(ascending=False, method="min").to_numpy()
    assert (low <= mlow).all() and (mhigh <= high).all()
    assert (mlow <= rank).all() and (rank <= mhigh).all()


def test_reference_page_example_of_simultaneous_sets():
    """csranks' 2020 reference page (docs/reference/csranks.html) prints, for x = 1..3 in 10 steps with standard
    errors 0.2: L = 7 6 5 4 3 2 1 1 1 1 and U = 10 10 10 10 9 8 7 6 5 4 (95 %, simultaneous)."""
    x, cov = np.linspace(1, 3, 10), np.diag(np.full(10, 0.2 ** 2))
    printed = ([7, 6, 5, 4, 3, 2, 1, 1, 1, 1], [10, 10, 10, 10, 9, 8, 7, 6, 5, 4])
    found = [tuple(b.tolist() for b in simultaneous_sets(x, cov, 0.95, 1000, seed)) for seed in range(5)]
    assert found[0] == printed
    assert sum(f == printed for f in found) >= 3  # a bound on the critical value's edge moves by one with the seed


def _coverage(theta, sd, n_rep, shrink=1.0, seed=11):
    rng = np.random.default_rng(seed)
    p = theta.size
    true_rank = pd.Series(theta).rank(ascending=False, method="min").to_numpy()
    marg = simul = 0
    widths = []
    for rep in range(n_rep):
        x = theta + rng.normal(0, sd)
        cov = np.diag((sd * shrink) ** 2)
        lo, hi = marginal_sets(x, cov, 0.90, 400, rep)
        marg += int(((lo <= true_rank) & (true_rank <= hi)).sum())
        widths.append(np.mean(hi - lo + 1))
        lo, hi = simultaneous_sets(x, cov, 0.90, 400, rep)
        simul += int(((lo <= true_rank) & (true_rank <= hi)).all())
    return marg / (n_rep * p), simul / n_rep, float(np.mean(widths))


def test_known_truth_coverage():
    """Ten units with known values and unequal errors: both kinds of set hold the true ranks at 90 % or more
    (the guarantee is a lower bound: here both hold them nearly always).

    With the error understated fourfold (as when a panel's shared error is left out), they do not.
    """
    theta = np.array([3.0, 2.95, 2.9, 2.8, 2.75, 2.6, 2.55, 2.5, 2.3, 2.2])
    sd = 1.5 * np.array([0.05, 0.08, 0.04, 0.06, 0.05, 0.07, 0.03, 0.06, 0.05, 0.08])
    n_rep = 120
    marg, simul, width = _coverage(theta, sd, n_rep)
    assert marg >= 0.90 - 2 * np.sqrt(0.09 / (n_rep * 10))
    assert simul >= 0.90 - 2 * np.sqrt(0.09 / n_rep)
    assert 1.5 < width < 7  # informative: neither points nor the whole range
    marg_bad, simul_bad, _ = _coverage(theta, sd, 80, shrink=0.25)
    assert marg_bad < 0.85 and simul_bad < 0.5


def test_well_separated_and_exact_units_get_their_own_rank():
    theta = np.array([1.0, 4.0, 2.0, 3.0])
    lo, hi = simultaneous_sets(theta, np.diag([1e-4] * 4), 0.95, 500, 0)
    assert lo.tolist() == hi.tolist() == [4, 1, 3, 2]
    lo, hi = marginal_sets(theta, np.zeros((4, 4)), 0.95, 100, 0)
    assert lo.tolist() == hi.tolist() == [4, 1, 3, 2]
    # Two units that cannot be told apart share a set of two ranks; the rest stay singletons.
    lo, hi = marginal_sets(np.array([1.0, 4.0, 4.001, 3.0]), np.diag([1e-4] * 4), 0.95, 500, 0)
    assert lo.tolist() == [4, 1, 1, 3] and hi.tolist() == [4, 2, 2, 3]
    assert tau_best(theta, np.diag([1e-4] * 4), 2, 0.95, 500, 0).tolist() == [False, True, False, True]
    with pytest.raises(ValueError, match="finite"):
        marginal_sets(np.array([1.0, np.nan]), np.eye(2))


def test_regency_sets_include_a_missing_dimension_and_the_shared_error():
    """A regency-year missing a dimension still has an error and a set wider than one rank; the shared error
    widens every set; a group not fully loaded has none."""
    keys = ["baseline", "output", "outcome", "impact", "quick_wins"]
    rng = np.random.default_rng(0)
    n = 12
    units = pd.DataFrame({"regency_id": range(n), "year": 2022, "evaluation_group": "A",
                          "final_score": np.round(3 + 0.02 * rng.standard_normal(n), 2)})
    for k in keys:
        units[k] = units["final_score"]
    units.loc[3, "impact"] = np.nan
    sigma = np.full((5, 5), 0.01) + np.eye(5) * 0.02
    var = panel_index_variance(units, sigma, 3.0)
    assert np.all(var > 0) and var[3] == pytest.approx(var[0])
    sets = rank_confidence_sets(units, var, n_boot=300)
    assert sets.loc[3, "set_marginal_high"] > sets.loc[3, "set_marginal_low"]
    wide = rank_confidence_sets(units, var + 0.05 ** 2, n_boot=300)
    assert ((wide["set_marginal_high"] - wide["set_marginal_low"])
            >= (sets["set_marginal_high"] - sets["set_marginal_low"])).all()
    none = rank_confidence_sets(units, var, n_boot=100, rankable=np.zeros(n, bool))
    assert none["set_marginal_low"].isna().all() and none["rank"].isna().all()


def test_shared_error_default_bounds_a_known_panel_error():
    """Regencies scored in consecutive years by panels sharing an error of sd 0.06: the default is an upper
    bound near it when the true index barely changes, and grows when the true index moves."""
    rng = np.random.default_rng(5)
    n, years = 300, [2021, 2022, 2023]
    level = rng.normal(3.0, 0.3, n)
    own = np.full(n * len(years), 0.03 ** 2)
    for change_sd, low, high in ((0.0, 0.05, 0.07), (0.08, 0.08, 0.12)):
        rows = []
        for y in years:
            truth = level + rng.normal(0, change_sd, n) + 0.05 * (y - 2021)
            score = truth + rng.normal(0, 0.03, n) + rng.normal(0, 0.06, n)
            rows.append(pd.DataFrame({"regency_id": range(n), "year": y, "final_score": score}))
        units = pd.concat(rows, ignore_index=True)
        shared = shared_error_sd(units, own)
        assert low < shared.sd < high, (change_sd, shared)
        assert shared.n_pairs == 2 * n and shared.sensitivity[0] == 0.0 and shared.sensitivity[-1] > shared.sd


def _band_frame():
    from smartcity_utils.analysis.index import dimension_keys

    keys = dimension_keys()
    rows = [{"regency_id": r, "year": 2022, "evaluation_group": "A", **{k: 3.0 + 0.01 * r for k in keys},
             "final_score": 3.0 + 0.01 * r} for r in range(8)]
    rows[2]["impact"] = np.nan  # a regency-year missing a dimension
    rows[5].update({k: np.nan for k in keys})  # a letter giving the index alone
    return pd.DataFrame(rows), keys


def test_band_of_a_regency_year_missing_a_dimension_has_the_panels_width():
    """Before, a regency-year missing a dimension kept its index in every draw: a band of zero width. Its index
    now varies by its panel's error through the year's weights, w' Sigma w / m, as the others'."""
    from smartcity_utils.analysis import rank_uncertainty as ru
    from smartcity_utils.analysis.index import weights_wide

    frame, keys = _band_frame()
    sigma = np.full((len(keys), len(keys)), 0.01) + np.eye(len(keys)) * 0.03
    model = ru.RankModel(n_draws=8000, seed=3, weight_spread=0.0, panel_error_cov=sigma, panel_size=3.0)
    d = ru._prepare_draws(frame, model)
    w = weights_wide(None, [2022]).reindex(columns=keys).to_numpy(float)[0]
    expected = float(w @ sigma @ w) / 3.0
    for i in (2, 5):
        assert d.fallback_noise[i].var() == pytest.approx(expected, rel=0.06), i
    band = ru.rank_uncertainty(frame, ru.RankModel(n_draws=400, seed=3, weight_spread=0.0, panel_error_cov=sigma,
                                                   panel_size=3.0))
    assert (band["rank_p95"] - band["rank_p05"] > 0).all()
    _, fast = ru.rank_draws(frame, ru.RankModel(n_draws=30, seed=1, panel_error_cov=sigma, panel_size=3.0,
                                                shared_sd=0.05))
    _, slow = ru.rank_draws_naive(frame, ru.RankModel(n_draws=30, seed=1, panel_error_cov=sigma, panel_size=3.0,
                                                      shared_sd=0.05))
    assert np.array_equal(fast, slow)


def test_shared_error_widens_the_band_by_its_size():
    """With the panels' own error off, the shared error alone moves two regencies 0.05 apart past each other as
    often as N(0, 2 sd^2) says."""
    from scipy import stats

    from smartcity_utils.analysis import rank_uncertainty as ru

    frame, _ = _band_frame()
    frame = frame.iloc[[0, 5]].reset_index(drop=True)  # 3.00 and 3.05
    _, ranks = ru.rank_draws(frame, ru.RankModel(n_draws=8000, seed=2, weight_spread=0.0, shared_sd=0.04))
    swapped = float((ranks[0] == 1).mean())
    assert swapped == pytest.approx(stats.norm.cdf(-0.05 / (0.04 * np.sqrt(2))), abs=0.015)
    assumptions = ru.RankModel(shared_sd=0.04).assumptions()
    assert "N(0, 0.040^2)" in assumptions["shared_error"]
    assert ru.RankModel().assumptions()["shared_error"].startswith("off")


def test_reports_quote_the_lead_interval_widened_by_the_error_bound():
    """driver_estimates (profile, narrative) and the notebook's estimates table quote the widened interval."""
    from smartcity_utils.analysis.drivers.lead import BOUND_METHOD, LEAD_METHOD, lead_driver_estimates
    from smartcity_utils.report.drivers import quoted_lead

    lead = pd.DataFrame({"pillar": ["a", "b"], "estimate": [0.4, 0.1], "ci_low": [0.3, 0.0], "ci_high": [0.5, 0.2],
                         "method": LEAD_METHOD})
    widened = lead.assign(ci_low=[0.2, -0.1], ci_high=[0.7, 0.25], method=BOUND_METHOD)
    both = pd.concat([lead, widened], ignore_index=True)
    quoted = quoted_lead(both).set_index("pillar")
    assert quoted.loc["a", ["estimate", "ci_low", "ci_high"]].tolist() == [0.4, 0.2, 0.7]
    assert quoted.loc["b", ["ci_low", "ci_high"]].tolist() == [-0.1, 0.25]
    out = lead_driver_estimates(both.assign(is_simulated=True)).set_index("pillar_key")
    assert out.loc["a", ["estimate", "ci_low", "ci_high"]].tolist() == [0.4, 0.2, 0.7]
    assert (out["method"] == LEAD_METHOD).all()
    # Without the bound (no assessor rows for it), the lead's own interval.
    assert quoted_lead(lead).set_index("pillar").loc["a", "ci_low"] == 0.3
    # Notebook 03's table of estimates quotes the widened interval and says so in its header.
    from smartcity_utils.report import drivers

    table = drivers.estimates_table({LEAD_METHOD: both}, "en")
    assert table.labels[1] == "Corrected regression (lead), interval widened by the error bound"
    assert table.rows[0][1] == "0.40 [0.20, 0.70]"
    assert drivers.estimates_table({LEAD_METHOD: lead}, "en").labels[1] == "Corrected regression (lead)"


@pytest.mark.parametrize("lang", ["en", "id"])
def test_methods_text_says_what_the_band_model_draws(lang):
    """The methods once said the panel is "drawn again from its members"; the model draws a pooled N(0, Sigma/m)
    panel error and a panel-shared error (RankModel.assumptions), and the text now says so, with the set's
    estimand and guarantee."""
    from smartcity_utils.analysis.rank_uncertainty import RankModel
    from smartcity_utils.report import narrative

    plain = narrative.methods_html(lang, 1000, "eiv", pd.DataFrame(columns=["source_url", "region", "years"])).plain
    assumed = RankModel(panel_error_cov=np.eye(5), panel_size=3.4, shared_sd=0.1).assumptions()
    assert "N(0, Sigma/m)" in assumed["assessors"] and "pooled" in assumed["assessors"]
    assert "N(0, 0.100^2)" in assumed["shared_error"]
    if lang == "en":
        assert "drawn again from its members" not in plain
        assert "pooled over all panels" in plain and "shared by the whole panel" in plain
        assert "95 % confidence set" in plain and "at least 95 %" in plain and "Mogstad" in plain
        assert "interval is widened" in plain  # the lead interval quoted is the widened one
    else:
        assert "diambil ulang dari anggotanya" not in plain
        assert "digabung dari semua panel" in plain and "galat bersama seluruh panel" in plain
        assert "Himpunan kepercayaan 95 %" in plain and "sedikitnya 95 %" in plain


@pytest.mark.parametrize("lang", ["en", "id"])
def test_history_and_summary_quote_the_rank_set_beside_the_band(lang):
    from smartcity_utils.report import narrative, tables

    history = pd.DataFrame({"year": [2024], "evaluation_group": ["Nasional"], "n_in_group": [270],
                            "final_score": [3.2], "final_score_source": ["reported"], "rank_computed": [51.0],
                            "rank_reported": [np.nan], "rank_p05": [20.0], "rank_p95": [140.0],
                            "rank_set_low": [6.0], "rank_set_high": [190.0], "n_lower": [219], "n_others": [269],
                            "percentile_in_group": [81.4], "improvement": [np.nan]})
    _, computed = narrative.rank_sentences(history, 2024, lang)
    numbers = [n for n in re.findall(r"\d+", computed) if n != "95"]  # "95 %" names the set
    assert numbers[:7] == ["270", "51", "20", "140", "6", "190", "219"]
    table = tables.history_table(history, lang)
    header = {"en": "95 % confidence set for the rank", "id": "Himpunan kepercayaan 95 % peringkat"}[lang]
    cells = dict(zip(table.labels, table.rows[0]))
    assert header in cells and "6" in cells[header] and "190" in cells[header]
    # Without sets (an analysis written before them) the column is left out, not shown empty.
    old = tables.history_table(history.assign(rank_set_low=np.nan, rank_set_high=np.nan), lang)
    assert header not in old.labels


def test_closing_table_quotes_the_widened_lead_interval():
    from smartcity_utils.analysis.drivers.lead import BOUND_METHOD, LEAD_METHOD
    from smartcity_utils.analysis.drivers.summary import driver_summary

    lead = pd.DataFrame({"pillar": ["a", "b"], "estimate": [0.4, 0.1], "ci_low": [0.3, 0.05], "ci_high": [0.5, 0.2],
                         "method": LEAD_METHOD})
    widened = lead.assign(ci_low=[0.2, -0.1], ci_high=[0.7, 0.25], method=BOUND_METHOD)
    row = driver_summary({"eiv": pd.concat([lead, widened], ignore_index=True)}).iloc[0]
    assert (row["top_pillar"], row["top_ci_low"], row["top_ci_high"]) == ("a", 0.2, 0.7)
    row = driver_summary({"eiv": lead}).iloc[0]
    assert (row["top_ci_low"], row["top_ci_high"]) == (0.3, 0.5)


def test_shared_error_size_is_a_setting(tmp_path):
    """The size can be set by hand (smartcity analyse --shared-error-sd): it is a setting of the cached analysis
    and the summary line says where it came from."""
    import json

    from smartcity_utils import commands, paths
    from smartcity_utils.analysis.run import analysis_settings
    from smartcity_utils.analysis.summary import analysis_summary
    from smartcity_utils.errors import UserError

    assert "shared_error_sd" not in analysis_settings(0)
    assert analysis_settings(0, shared_error_sd=0.06)["shared_error_sd"] == 0.06
    with pytest.raises(UserError, match="--shared-error-sd -0.1"):
        commands.analyse(tmp_path, shared_error_sd=-0.1)
    folder = paths.analysis_dir(tmp_path)
    folder.mkdir(parents=True)
    check = {"n_rep": 20, "coverage": 0.9, "nominal": 0.9, "shared_error_sd": 0.06, "shared_error_pairs": 0,
             "shared_error_by_hand": True}
    (folder / paths.ANALYSIS_META).write_text(json.dumps({"lead_assumptions": {}, "true_rank_coverage_check": check}),
                                              encoding="utf-8")
    assert "panel-shared error of sd 0.060 (set by hand)" in analysis_summary(tmp_path)
