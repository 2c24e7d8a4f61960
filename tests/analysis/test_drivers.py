"""Tests for smartcity_utils.drivers against simulated and hand-worked truths."""

from __future__ import annotations

import io
import json
import warnings
from itertools import permutations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.analysis.drivers import inputs, rank_methods, run
from smartcity_utils.analysis.drivers.command import drivers_command
from smartcity_utils.analysis.drivers.dominance import dominance_analysis
from smartcity_utils.analysis.drivers.inputs import (
    DEFAULT_PILLARS,
    validate_driver_input,
)
from smartcity_utils.analysis.drivers.main_effects import main_effects
from smartcity_utils.analysis.drivers.mixed import mixed_model_drivers
from smartcity_utils.analysis.drivers.ols import ols_drivers
from smartcity_utils.analysis.drivers.rank_methods import (
    ordinal_rank_drivers,
    spearman_rank_drivers,
)
from smartcity_utils.analysis.drivers.summary import driver_summary
from smartcity_utils.errors import DriverInputError
from smartcity_utils.report.drivers import result_words, summary_words

PILLARS = list(DEFAULT_PILLARS)
# Distinct effects: governance clearly strongest, society exactly zero.
BETAS = np.array([1.5, 0.3, 0.6, 0.9, 0.0, 0.45])
VALIDATION_CSV = Path(__file__).resolve().parents[3] / "shared/validation/smart_city_index_102.csv"


def _words(results):
    """The command line's words, as ``smartcity drivers`` passes them (English)."""
    return result_words(results, "en")


def _correlated_pillars(n: int, seed: int, rho: float = 0.4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = len(PILLARS)
    cov = np.full((p, p), rho) + np.eye(p) * (1 - rho)
    return rng.multivariate_normal(np.zeros(p), cov, size=n) + 3.0


@pytest.fixture(scope="module")
def known_truth() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    x = _correlated_pillars(300, seed=7)
    y = x @ BETAS + rng.normal(0, 1.0, 300)
    df = pd.DataFrame(x, columns=PILLARS)
    df["score"] = y
    return df


@pytest.fixture(scope="module")
def known_results(known_truth):
    return {
        "ols": ols_drivers(known_truth, "score", PILLARS).table,
        "dominance": dominance_analysis(known_truth, "score", PILLARS, n_boot=60, seed=1),
        "main_effect": main_effects(known_truth, "score", PILLARS, n_boot=30, seed=1),
        "spearman": spearman_rank_drivers(
            known_truth.assign(percentile=rank_methods.within_group_percentile(known_truth["score"], None)),
            PILLARS, "percentile"),
    }


# --- known truth ------------------------------------------------------------


def test_ols_recovers_betas_within_ci(known_results):
    t = known_results["ols"].set_index("pillar")
    for pillar, beta in zip(PILLARS, BETAS):
        assert t.at[pillar, "coef_ci_low"] <= beta <= t.at[pillar, "coef_ci_high"], pillar
    assert t.at["smart_society", "ci_low"] < 0 < t.at["smart_society", "ci_high"]
    assert t.at["smart_governance", "ci_low"] > 0
    assert set(t["method"]) == {"ols"}
    assert (t["vif"] > 1).all() and (t["vif"] < 5).all()


def test_strongest_pillar_ranks_first_everywhere(known_results):
    for name in ("ols", "dominance", "main_effect"):
        t = known_results[name]
        top = t.loc[t["estimate"].abs().idxmax(), "pillar"]
        assert top == "smart_governance", name
    summary = summary_words(driver_summary(known_results), "en").set_index("method")
    summary_id = summary_words(driver_summary(known_results), "id").set_index("method")
    # One row per method, never an average of ranks across methods that estimate different things.
    assert list(summary.index) == ["ols", "dominance", "main_effect", "spearman"]
    assert (summary["top_pillar"] == "smart_governance").all()
    assert summary.at["ols", "is_lead"] and "consensus_rank" not in summary.columns
    # The zero-effect pillar comes last under OLS.
    assert summary.at["ols", "order"].split(", ")[-1] == "smart_society"
    assert summary_id["estimand"].str.len().gt(20).all() and summary_id["answer"].str.startswith("Terbesar").all()
    # No causal wording, no test of non-negative shares against zero.
    words = " ".join(summary[["estimand", "answer", "comparison"]].to_numpy().ravel())
    assert "drive" not in words and "cause" not in words
    assert "excludes zero" not in words


def test_tables_stack(known_results):
    stacked = pd.concat(known_results.values(), ignore_index=True)
    assert {"pillar", "method", "estimate", "ci_low", "ci_high"} <= set(stacked.columns)
    assert len(stacked) == 4 * len(PILLARS)


def test_exact_weighted_sum_recovered():
    x = _correlated_pillars(60, seed=3)
    w = np.array([0.25, 0.1, 0.2, 0.15, 0.2, 0.1])
    df = pd.DataFrame(x, columns=PILLARS).assign(index=x @ w)
    res = ols_drivers(df, "index", PILLARS)
    np.testing.assert_allclose(res.table["coef"], w, atol=1e-6)
    np.testing.assert_allclose(res.table["weight"], w, atol=1e-6)
    assert abs(res.r2 - 1.0) < 1e-9
    assert res.n == 60


def test_ols_year_fixed_effects_absorb_year_shift():
    rng = np.random.default_rng(5)
    x = _correlated_pillars(120, seed=5)
    year = np.repeat([2019, 2020, 2021], 40)
    y = x @ BETAS + (year - 2019) * 5.0 + rng.normal(0, 0.5, 120)
    df = pd.DataFrame(x, columns=PILLARS).assign(score=y, year=year)
    with_fe = ols_drivers(df, "score", PILLARS, year_col="year")
    t = with_fe.table.set_index("pillar")
    for pillar, beta in zip(PILLARS, BETAS):
        assert t.at[pillar, "coef_ci_low"] <= beta <= t.at[pillar, "coef_ci_high"]
    assert with_fe.r2 > ols_drivers(df, "score", PILLARS).r2


# --- dominance ----------------------------------------------------------------


def _brute_force_shapley(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Shapley shares by averaging marginal R2 over every ordering (lstsq fits)."""
    n, p = x.shape

    def r2(cols: tuple[int, ...]) -> float:
        if not cols:
            return 0.0
        design = np.column_stack([np.ones(n), x[:, list(cols)]])
        beta = np.linalg.lstsq(design, y, rcond=None)[0]
        resid = y - design @ beta
        return 1.0 - resid @ resid / np.sum((y - y.mean()) ** 2)

    cache: dict[frozenset, float] = {}
    shares = np.zeros(p)
    orders = list(permutations(range(p)))
    for order in orders:
        current: tuple[int, ...] = ()
        for j in order:
            before = cache.setdefault(frozenset(current), r2(tuple(sorted(current))))
            current = current + (j,)
            after = cache.setdefault(frozenset(current), r2(tuple(sorted(current))))
            shares[j] += after - before
    return shares / len(orders)


@pytest.mark.parametrize("p", [4, 5])
def test_dominance_matches_brute_force(known_truth, p):
    cols = PILLARS[:p]
    x = known_truth[cols].to_numpy()
    y = known_truth["score"].to_numpy()
    expected = _brute_force_shapley(x, y)
    t = dominance_analysis(known_truth, "score", cols, n_boot=0)
    np.testing.assert_allclose(t["estimate"].to_numpy(), expected, atol=1e-10, rtol=0)
    full = ols_drivers(known_truth, "score", cols).r2
    assert abs(t["estimate"].sum() - full) < 1e-10
    assert abs(t["share_of_r2"].sum() - 1.0) < 1e-10


def test_dominance_bootstrap_interval_brackets_estimate(known_results):
    t = known_results["dominance"]
    assert (t["ci_low"] <= t["estimate"]).all() and (t["estimate"] <= t["ci_high"]).all()
    assert (t["ci_high"] > t["ci_low"]).all()


def test_dominance_is_seeded(known_truth):
    a = dominance_analysis(known_truth, "score", PILLARS[:3], n_boot=20, seed=9)
    b = dominance_analysis(known_truth, "score", PILLARS[:3], n_boot=20, seed=9)
    c = dominance_analysis(known_truth, "score", PILLARS[:3], n_boot=20, seed=10)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["ci_low"], c["ci_low"])


# --- main effects -------------------------------------------------------------


def test_main_effect_matches_linear_theory():
    rng = np.random.default_rng(11)
    n = 2000
    sds = np.array([1.0, 0.5, 2.0, 1.0])
    betas = np.array([1.0, 2.0, 0.25, 0.0])
    x = rng.normal(0, 1, (n, 4)) * sds
    y = x @ betas + rng.normal(0, 1.0, n)
    cols = PILLARS[:4]
    df = pd.DataFrame(x, columns=cols).assign(score=y)
    t = main_effects(df, "score", cols, n_boot=0).set_index("pillar")
    var_y = np.var(y)
    theory = betas**2 * sds**2 / var_y
    np.testing.assert_allclose(t.loc[cols, "estimate"].to_numpy(), theory, atol=0.05)
    assert abs(t["s_normalised"].sum() - 1.0) < 1e-12


def _local_linear_hat_matrix(x: np.ndarray, h: float) -> np.ndarray:
    """Row i: the weights of a weighted least-squares line at x_i (Gaussian kernel), solved row by row."""
    rows = []
    for xi in x:
        design = np.column_stack([np.ones_like(x), x - xi])
        weights = np.exp(-0.5 * ((x - xi) / h) ** 2)
        rows.append(np.linalg.solve(design.T @ (weights[:, None] * design), design.T * weights)[0])
    return np.array(rows)


@pytest.mark.parametrize("h", [0.15, 0.6])
def test_main_effect_on_tied_and_repeated_scores_matches_the_smoother_of_every_row(h):
    import importlib

    me = importlib.import_module("smartcity_utils.analysis.drivers.main_effects")
    rng = np.random.default_rng(5)
    x = np.round(rng.uniform(1, 3.5, 120), 1)  # scores on a coarse grid: many rows share a value
    y = np.sin(2 * x) + rng.normal(0, 0.3, len(x))
    boot = rng.integers(0, len(x), len(x))  # a bootstrap sample repeats rows as well
    for xs, ys in ((x, y), (x[boot], y[boot])):
        L = _local_linear_hat_matrix(xs, h)
        n, fitted = len(ys), L @ ys
        sigma2 = float((ys - fitted) @ (ys - fitted)) / (n - 2 * np.trace(L) + np.sum(L * L))
        Lc = L - L.mean(axis=0)
        raw = np.var(fitted) / np.var(ys)
        corrected = max(raw - sigma2 * np.sum(Lc * Lc) / n / np.var(ys), 0.0)
        np.testing.assert_allclose(me._main_effect(xs, ys, h), (raw, corrected), rtol=1e-9)
        cv = np.mean(((ys - fitted) / (1 - np.diag(L))) ** 2)
        np.testing.assert_allclose(me._cv_error(me._Smoother(xs, ys, h), ys), cv, rtol=1e-9)


def test_main_effect_weights_beside_importance(known_results):
    t = known_results["main_effect"].set_index("pillar")
    assert (t["weight_source"] == "ols").all()
    assert abs(t["weight"].sum() - 1.0) < 1e-12
    expected = BETAS / BETAS.sum()
    np.testing.assert_allclose(t.loc[PILLARS, "weight"], expected, atol=0.05)
    assert (t["ci_low"] <= t["estimate"] + 1e-12).all()


def test_main_effect_nominal_weights_are_normalised(known_truth):
    t = main_effects(known_truth, "score", PILLARS, n_boot=0,
                     nominal_weights={p: 2.0 for p in PILLARS})
    assert (t["weight_source"] == "nominal").all()
    np.testing.assert_allclose(t["weight"], 1 / 6)
    with pytest.raises(DriverInputError, match="3 nominal weights given for 6 pillars"):
        main_effects(known_truth, "score", PILLARS, n_boot=0, nominal_weights=[1, 2, 3])


# --- rank methods -------------------------------------------------------------


def _latent_rank_frame(seed: int = 21, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 3))
    latent = 2.0 * x[:, 0] + 0.1 * x[:, 1] + rng.normal(0, 1, n)
    df = pd.DataFrame(x, columns=PILLARS[:3])
    df["rank"] = pd.Series(latent).rank(ascending=False, method="min")
    df["percentile"] = rank_methods.within_group_percentile(df["rank"], None, higher_is_better=False)
    return df


def test_ordinal_logit_finds_strong_pillar():
    df = _latent_rank_frame()
    t = ordinal_rank_drivers(df, PILLARS[:3], "percentile", share=0.25).set_index("pillar")
    strong = t.loc["smart_governance"]
    assert strong["estimate"] > 0 and strong["ci_low"] > 0
    assert t.loc["smart_economy", "ci_low"] < 0 < t.loc["smart_economy", "ci_high"]
    assert bool(strong["converged"])
    assert strong["bands"] == "bottom=50, middle=100, top=50"


def test_ordinal_logit_sign_flips_with_pillar():
    df = _latent_rank_frame()
    df["smart_governance"] = -df["smart_governance"]
    t = ordinal_rank_drivers(df, PILLARS[:3], "percentile", share=0.25).set_index("pillar")
    assert t.at["smart_governance", "ci_high"] < 0


def test_spearman_signs():
    df = _latent_rank_frame()
    df["smart_branding"] = -df["smart_governance"] + 0.01 * df["smart_economy"]
    t = spearman_rank_drivers(df, PILLARS[:3], "percentile").set_index("pillar")
    assert t.at["smart_governance", "estimate"] > 0.6
    assert t.at["smart_governance", "ci_low"] > 0
    assert t.at["smart_branding", "estimate"] < -0.6
    boot = spearman_rank_drivers(df, PILLARS[:3], "percentile", ci="bootstrap", n_boot=100)
    b = boot.set_index("pillar")
    assert b.at["smart_governance", "ci_low"] < t.at["smart_governance", "estimate"] < b.at[
        "smart_governance", "ci_high"]


def test_rank_bands_are_within_group_quantiles():
    # Group 1 has 6 members, group 2 has 3: "top" is the best fifth of each group, not a fixed count.
    ranks = pd.Series([1, 2, 3, 4, 5, 6, 1, 2, 3])
    groups = pd.Series([1, 1, 1, 1, 1, 1, 2, 2, 2])
    pct = rank_methods.within_group_percentile(ranks, groups, higher_is_better=False)
    assert list(pct.round(1)) == [100.0, 80.0, 60.0, 40.0, 20.0, 0.0, 100.0, 50.0, 0.0]
    bands = rank_methods.rank_bands(pct, share=0.2)
    assert list(bands.astype(str)) == [
        "top", "top", "middle", "middle", "bottom", "bottom", "top", "middle", "bottom"]


def test_rank_methods_do_not_pool_raw_ranks_across_groups():
    # Two groups of very different sizes, same relation inside each: rank 10 of 12 and rank 10 of 200
    # are different positions; within-group percentiles put both groups on one scale.
    rng = np.random.default_rng(3)
    rows = []
    for group, n in (("small", 12), ("large", 200)):
        x = rng.normal(0, 1, (n, 3))
        score = x @ [1.0, 0.2, 0.0] + rng.normal(0, 0.5, n)
        rank = pd.Series(score).rank(ascending=False, method="min")
        rows.append(pd.DataFrame(x, columns=PILLARS[:3]).assign(rank=rank, evaluation_group=group, year=2023))
    df = pd.concat(rows, ignore_index=True)
    df["percentile"] = rank_methods.within_group_percentile(df["rank"], df[["year", "evaluation_group"]],
                                                            higher_is_better=False)
    small = df[df["evaluation_group"] == "small"]
    assert small["percentile"].max() == 100 and small["percentile"].min() == 0
    t = spearman_rank_drivers(df, PILLARS[:3], "percentile", group_cols=["year", "evaluation_group"])
    assert t.set_index("pillar").at["smart_governance", "estimate"] > 0.7


@pytest.mark.parametrize("kind", [pytest.param("complete", id="perfect_separation"),
                                  pytest.param("quasi", id="quasi_separation")])
def test_ordinal_logit_under_separation_is_not_estimable(kind):
    # Input: bands decided exactly by one pillar (complete), or by it except ties at the cut (quasi).
    # Old outcome: converged=True with coefficients of 50-150. Expected: not estimable, out of the summary.
    rng = np.random.default_rng(8)
    n = 60
    x = rng.normal(0, 1, (n, 3))
    if kind == "quasi":
        x[:, 0] = np.round(x[:, 0])
    df = pd.DataFrame(x, columns=PILLARS[:3])
    df["score"] = x[:, 0] * 10 + 0.01 * x[:, 1]
    df["percentile"] = rank_methods.within_group_percentile(df["score"], None)
    if kind == "quasi":
        # Rank bands from the rounded pillar only, ties broken at random: not separable, but nearly so.
        df["percentile"] = rank_methods.within_group_percentile(df[PILLARS[0]] + rng.uniform(0, 1e-3, n), None)
    with pytest.raises(DriverInputError, match="not estimable"):
        ordinal_rank_drivers(df, PILLARS[:3], "percentile")
    res = run.run_driver_analysis(df, "score", PILLARS[:3], n_boot=5)
    assert "ordinal_logit" not in res and "ordinal_logit" not in set(res["summary"]["method"])
    assert "not estimable" in res["skipped"].set_index("method").at["ordinal_logit", "detail"]


# --- mixed model --------------------------------------------------------------


def _panel(seed: int, n_groups: int = 40, years=(2019, 2020, 2021, 2022), sd_group=2.0):
    rng = np.random.default_rng(seed)
    rows = []
    intercepts = rng.normal(0, sd_group, n_groups)
    for g in range(n_groups):
        for year in years:
            x = rng.normal(3, 1, 3)
            rows.append({"regency_id": f"R{g:03d}", "year": year, **dict(zip(PILLARS[:3], x)),
                         "score": 1.0 * x[0] + 0.5 * x[1] + 0.0 * x[2] + intercepts[g]
                         + rng.normal(0, 0.7)})
    return pd.DataFrame(rows)


def test_mixed_model_recovers_fixed_effects():
    df = _panel(31)
    t = mixed_model_drivers(df, "score", PILLARS[:3], year_col="year").set_index("pillar")
    for pillar, beta in zip(PILLARS[:3], [1.0, 0.5, 0.0]):
        assert t.at[pillar, "coef_ci_low"] <= beta <= t.at[pillar, "coef_ci_high"]
    assert t["converged"].all()
    assert (t["optimizer"] == "lbfgs").all()
    assert t["group_var"].iloc[0] > 1.0
    assert t["warnings"].iloc[0] == ""


@pytest.mark.parametrize(
    "panel",
    [
        # One row per group: the random intercept cannot be told apart from noise.
        dict(seed=32, n_groups=80, years=(2020,), sd_group=0.0),
        # Repeated years but no group variance: the optimum sits on the boundary.
        dict(seed=33, n_groups=30, sd_group=0.0),
    ],
)
def test_mixed_model_degenerate_reports_warning(panel):
    df = _panel(**panel)
    with pytest.warns(inputs.DriverConvergenceWarning, match="kept, converged="):
        t = mixed_model_drivers(df, "score", PILLARS[:3], year_col="year")
    assert t["warnings"].iloc[0] != ""
    assert t["converged"].dtype == bool
    assert t["optimizer"].iloc[0] in {"lbfgs", "powell", "nm"}
    # The warning text names the optimiser that produced it.
    assert t["warnings"].iloc[0].split(":")[0] in {"lbfgs", "powell", "nm"}


# --- validation ---------------------------------------------------------------


def _small_frame(n: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(3, 1, (n, 3)).round(2), columns=PILLARS[:3])
    df["score"] = df.sum(axis=1) + rng.normal(0, 0.1, n).round(2)
    return df


def test_missing_column_names_nearest():
    df = _small_frame()
    with pytest.raises(DriverInputError) as err:
        validate_driver_input(df, "score", ["smart_governance", "smart_brandin", "smart_economy"])
    msg = str(err.value)
    assert "'smart_brandin' not found" in msg
    assert "did you mean 'smart_branding'" in msg
    assert "available columns: smart_governance, smart_branding" in msg


def test_non_numeric_value_reports_row_column_value():
    df = _small_frame().astype(object)
    df.loc[1, "smart_economy"] = "abc"
    with pytest.raises(DriverInputError) as err:
        validate_driver_input(df, "score", PILLARS[:3], source="scores.csv")
    msg = str(err.value)
    assert "row 3" in msg and "'smart_economy'" in msg and "'abc'" in msg
    assert msg.startswith("scores.csv")


def test_decimal_comma_and_missing_tokens_accepted():
    df = _small_frame().astype(object)
    df.loc[0, "smart_governance"] = "3,25"
    df.loc[4, "smart_branding"] = "n/a"
    out = validate_driver_input(df, "score", PILLARS[:3])
    assert out.loc[0, "smart_governance"] == 3.25
    assert out["smart_branding"].dtype == float
    assert out.attrs["dropped_rows"] == [6]
    assert len(out) == 9


def test_too_few_rows_and_constant_column():
    with pytest.raises(DriverInputError, match=r"needs at least 5 complete rows, there are 4"):
        validate_driver_input(_small_frame(4), "score", PILLARS[:3])
    df = _small_frame().assign(smart_economy=2.0)
    with pytest.raises(DriverInputError, match=r"column 'smart_economy': constant column"):
        validate_driver_input(df, "score", PILLARS[:3])
    assert issubclass(DriverInputError, ValueError)


# --- whole analysis and command line -----------------------------------------


def test_run_driver_analysis_skips_with_reason(known_truth):
    res = run.run_driver_analysis(known_truth, "score", PILLARS, group_col="regency_id",
                                 rank_col="peringkat", n_boot=10)
    skipped = res["skipped"].set_index("method")
    assert skipped.at["mixed", "code"] == "column_missing" and skipped.at["spearman", "detail"] == "peringkat"
    reasons = dict(zip(res["skipped"]["method"], result_words(res, "en")["skipped"]))
    assert "not in the table" in reasons["mixed"] and "'peringkat' not in the table" in reasons["spearman"]
    assert {"ols", "dominance", "main_effect", "summary"} <= set(res)
    assert "mixed" not in res and "leave_one_out" not in res


def test_run_driver_analysis_panel():
    df = _panel(33, n_groups=30)
    res = run.run_driver_analysis(df, "score", PILLARS[:3], year_col="year",
                                 group_col="regency_id", n_boot=10)
    assert {"ols", "dominance", "main_effect", "ordinal_logit", "spearman", "mixed"} <= set(res)
    assert list(res["skipped"]["method"]) == ["eiv"]  # no assessor-level scores
    summary = res["summary"].set_index("method")
    assert (summary["top_pillar"] == "smart_governance").all()
    assert summary.loc["ols", "is_lead"]
    assert res["model"].iloc[0]["rank_source"] == "percentile of score within year"


def _write_csv(tmp_path: Path, sep: str = ",") -> Path:
    df = _small_frame(14)
    df.insert(0, "id", range(1, 15))
    df.insert(1, "name", [f"Kota {i}" for i in range(14)])
    path = tmp_path / "scores.csv"
    if sep == ";":
        text = df.to_csv(sep=";", index=False, decimal=",")
    else:
        text = df.to_csv(index=False)
    path.write_text(text, encoding="utf-8")
    return path


def test_drivers_command_text(tmp_path):
    path = _write_csv(tmp_path)
    buf = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert drivers_command(str(path), "score", None, False, out=buf, n_boot=20, words=_words) == 0
    text = buf.getvalue()
    for pillar in PILLARS[:3]:
        assert pillar in text
    assert "Left out: id (identifier or bookkeeping column); name (identifier or bookkeeping column)" in text
    assert "consensus" not in text and "drives" not in text
    assert "Ordinary regression (naive) [lead]" in text and "  estimates: How much higher" in text


def test_drivers_command_json_semicolon(tmp_path):
    path = _write_csv(tmp_path, sep=";")
    buf = io.StringIO()
    assert drivers_command(str(path), "score", PILLARS[:3], True, out=buf, n_boot=20, words=_words) == 0
    payload = json.loads(buf.getvalue())
    assert {"target", "n", "r2", "pillars", "methods"} <= set(payload)
    assert payload["target"] == "score" and payload["n"] == 14
    assert payload["pillars"] == PILLARS[:3]
    assert 0.9 < payload["r2"] <= 1.0
    assert [r["pillar"] for r in payload["methods"]["ols"]] == PILLARS[:3]
    # The same fields as the notebook's closing table, with its sentences in English.
    from smartcity_utils.analysis.drivers.summary import SUMMARY_COLUMNS
    fields = SUMMARY_COLUMNS + ["method_label", "estimand", "answer", "comparison"]
    assert payload["summary_fields"] == fields
    assert all(set(fields) == set(row) for row in payload["summary"])
    assert payload["summary"][0]["answer"].startswith("Largest: ")


def test_drivers_command_bad_target(tmp_path):
    path = _write_csv(tmp_path)
    with pytest.raises(DriverInputError, match="did you mean 'score'"):
        drivers_command(str(path), "scor", None, False, out=io.StringIO())


@pytest.mark.skipif(not VALIDATION_CSV.is_file(), reason="shared validation table not present")
def test_validation_table_is_linear_mix():
    df = pd.read_csv(VALIDATION_CSV)
    pillars = [c for c in df.columns if c.startswith("Smart_")]
    res = ols_drivers(df, "SmartCity_Index", pillars)
    assert res.r2 > 0.999


def test_drivers_command_names_rows_left_out(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(12, 3))
    lines = ["unit;a;b;c;score"] + [
        f"u{i};{x[i, 0]:.3f};{x[i, 1]:.3f};{x[i, 2]:.3f};{(x[i] @ [0.5, 0.3, 0.2]):.4f}".replace(".", ",")
        for i in range(12)]
    lines[4] = lines[4].rsplit(";", 2)[0] + ";belum dinilai;" + lines[4].rsplit(";", 1)[1]  # CSV line 5
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text, js = io.StringIO(), io.StringIO()
    assert drivers_command(str(path), "score", None, False, out=text, n_boot=10) == 0
    assert "Rows left out for a missing value (CSV line numbers): 5" in text.getvalue()
    drivers_command(str(path), "score", None, True, out=js, n_boot=10)
    payload = json.loads(js.getvalue())
    assert payload["dropped_rows"] == [5] and payload["n"] == 11


# --- issue 8: the command on any table ----------------------------------------


def _table(tmp_path: Path, header: list[str], rows: list[list], name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(",".join(map(str, r)) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def _linear_rows(n: int = 20, seed: int = 4, weights=(0.5, 0.3, 0.2)) -> np.ndarray:
    x = np.random.default_rng(seed).normal(3, 0.5, (n, len(weights))).round(3)
    return np.column_stack([x, x @ np.asarray(weights)])


def test_one_bad_cell_stops_with_column_line_and_value(tmp_path):
    # Input: pillar "b" holds "abc" on CSV line 4. Old: "b" silently dropped, exit 0.
    # Expected: an error naming the column, the line and the value.
    rows = _linear_rows().tolist()
    rows[2][1] = "abc"
    path = _table(tmp_path, ["a", "b", "c", "score"], rows)
    with pytest.raises(DriverInputError, match=r"row 4, column 'b': value 'abc' is not a number"):
        drivers_command(str(path), "score", None, False, out=io.StringIO(), n_boot=5)


def test_target_that_is_a_substring_of_pillar_names_keeps_the_pillars(tmp_path):
    # Input: target "y", pillars "economy", "society", "quality". Old: all three dropped ("y" in name).
    # Expected: all three analysed, nothing left out.
    data = _linear_rows(weights=(0.5, 0.3, 0.2))
    path = _table(tmp_path, ["economy", "society", "quality", "y"], data.tolist())
    buf = io.StringIO()
    assert drivers_command(str(path), "y", None, True, out=buf, n_boot=5) == 0
    payload = json.loads(buf.getvalue())
    assert payload["pillars"] == ["economy", "society", "quality"] and payload["left_out"] == {}


def test_infinite_cell_gives_one_line_error(tmp_path):
    # Input: "inf" in pillar "c", CSV line 3. Old: a traceback. Expected: DriverInputError naming it.
    rows = _linear_rows().tolist()
    rows[1][2] = "inf"
    path = _table(tmp_path, ["a", "b", "c", "score"], rows)
    with pytest.raises(DriverInputError, match=r"row 3, column 'c': value 'inf' is infinite") as info:
        drivers_command(str(path), "score", None, False, out=io.StringIO(), n_boot=5)
    assert "\n" not in str(info.value)


def test_perfectly_collinear_pillars_stop_naming_the_columns(tmp_path):
    # Input: c = a + b exactly. Old: ran, zero-width interval. Expected: stop, naming a, b and c.
    data = _linear_rows()
    data[:, 2] = data[:, 0] + data[:, 1]
    path = _table(tmp_path, ["a", "b", "c", "score"], data.tolist())
    with pytest.raises(DriverInputError, match=r"the pillars a, b, c are perfectly collinear"):
        drivers_command(str(path), "score", None, False, out=io.StringIO(), n_boot=5)


def test_exact_weighted_sum_gives_the_weights_back(tmp_path):
    data = _linear_rows(n=30, weights=(0.45, 0.35, 0.2))
    path = _table(tmp_path, ["id", "a", "b", "c", "index"], [[i, *r] for i, r in enumerate(data.tolist())])
    buf = io.StringIO()
    assert drivers_command(str(path), "index", None, True, out=buf, n_boot=5) == 0
    ols = {r["pillar"]: r["coef"] for r in json.loads(buf.getvalue())["methods"]["ols"]}
    np.testing.assert_allclose([ols["a"], ols["b"], ols["c"]], [0.45, 0.35, 0.2], atol=1e-7)


def test_dominance_tests_share_against_share_by_correlation_alone():
    # A pillar with no partial effect but correlated with one that has: its share is positive
    # (non-negative by construction) yet its excess over the share by correlation alone is not.
    rng = np.random.default_rng(12)
    n = 400
    a = rng.normal(size=n)
    b = 0.8 * a + 0.6 * rng.normal(size=n)
    df = pd.DataFrame({"a": a, "b": b, "c": rng.normal(size=n)})
    df["y"] = df["a"] + 0.5 * df["c"] + rng.normal(0, 0.5, n)
    t = dominance_analysis(df, "y", ["a", "b", "c"], n_boot=80, seed=2).set_index("pillar")
    assert t.at["b", "estimate"] > 0.05
    assert t.at["b", "excess_ci_low"] < 0 < t.at["b", "excess_ci_high"]
    assert t.at["a", "excess_ci_low"] > 0


def test_main_effect_bandwidth_is_cross_validated_with_a_sensitivity_table():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 2))
    df = pd.DataFrame(x, columns=["a", "b"]).assign(y=np.sin(2 * x[:, 0]) + rng.normal(0, 0.3, 300))
    t = main_effects(df, "y", ["a", "b"], n_boot=0)
    sens = t.attrs["bandwidth_sensitivity"]
    assert set(sens["bandwidth_multiple"]) == {0.5, 1.0, 2.0}
    chosen = t.set_index("pillar")
    # A wiggly relation needs a narrow bandwidth; noise alone is corrected to about zero.
    assert chosen.at["a", "bandwidth"] < 0.5 and chosen.at["a", "estimate"] > 0.6
    assert chosen.at["b", "estimate"] < 0.05


# --- estimand wording ---------------------------------------------------------


def test_estimands_of_any_table_speak_of_its_columns_not_of_regency_years():
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.normal(0, 1, (50, 3)), columns=["a", "b", "c"])
    df["y"] = df @ np.array([0.2, 0.5, 0.3]) + rng.normal(0, 0.1, 50)
    table = run.run_driver_analysis(df, "y", ["a", "b", "c"], n_boot=5, source="my.csv")["summary"]
    regency = run.run_driver_analysis(df, "y", ["a", "b", "c"], n_boot=5, source="regency_year")["summary"]
    for sentence in summary_words(table, "en")["estimand"]:
        assert "index" not in sentence and "regency" not in sentence and "panel" not in sentence, sentence
    assert any("index" in sentence for sentence in summary_words(regency, "en")["estimand"])
    assert (summary_words(table, "id")["estimand"] != summary_words(regency, "id")["estimand"]).all()


def test_bad_rank_cell_stops_with_line_and_value(tmp_path):
    # A rank cell that is not a number used to become NaN silently.
    data = _linear_rows(n=20)
    rows = [[i + 1, *r] for i, r in enumerate(data.tolist())]
    rows[3][0] = "ke-4"  # CSV line 5
    path = _table(tmp_path, ["rank", "a", "b", "c", "score"], rows)
    with pytest.raises(DriverInputError, match=r"row 5, column 'rank': value 'ke-4' is not a number"):
        drivers_command(str(path), "score", None, False, out=io.StringIO(), n_boot=5)


def test_rank_cell_with_decimal_comma_is_parsed(tmp_path):
    data = _linear_rows(n=20)
    rows = [[f'"{i + 1},0"', *r] for i, r in enumerate(data.tolist())]
    path = _table(tmp_path, ["rank", "a", "b", "c", "score"], rows)
    buf = io.StringIO()
    assert drivers_command(str(path), "score", None, True, out=buf, n_boot=5) == 0
    payload = json.loads(buf.getvalue())
    assert payload["rank_dropped_rows"] == []
    assert payload["methods"]["spearman"][0]["n"] == 20


def test_rows_without_rank_are_recorded_as_left_out_of_the_rank_methods(tmp_path):
    data = _linear_rows(n=20)
    rows = [[i + 1, *r] for i, r in enumerate(data.tolist())]
    rows[6][0] = ""  # CSV line 8: no rank, still used by the regression
    path = _table(tmp_path, ["rank", "a", "b", "c", "score"], rows)
    text, js = io.StringIO(), io.StringIO()
    assert drivers_command(str(path), "score", None, False, out=text, n_boot=5) == 0
    assert "Rows left out of the rank methods for a missing rank or group (CSV line numbers): 8" in text.getvalue()
    drivers_command(str(path), "score", None, True, out=js, n_boot=5)
    payload = json.loads(js.getvalue())
    assert payload["rank_dropped_rows"] == [8] and payload["dropped_rows"] == [] and payload["n"] == 20
    assert payload["methods"]["spearman"][0]["n"] == 19


def test_rank_methods_record_the_rows_they_leave_out():
    frame = _latent_rank_frame()
    frame.loc[frame.index[[3, 7]], "percentile"] = np.nan
    sp = spearman_rank_drivers(frame, PILLARS[:3], "percentile")
    assert sp.attrs["dropped_rows"] == list(frame.index[[3, 7]])
    ordl = ordinal_rank_drivers(frame, PILLARS[:3], "percentile", share=0.25)
    assert ordl.attrs["dropped_rows"] == list(frame.index[[3, 7]])


def test_collinear_columns_names_the_null_space():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(30, 3))
    assert inputs.collinear_columns(x, ["a", "b", "c"]) == (3, [])
    dependent = np.column_stack([x, x[:, 0] - 2 * x[:, 1]])
    rank, involved = inputs.collinear_columns(dependent, ["a", "b", "c", "d"])
    assert rank == 3 and involved == ["a", "b", "d"]


def test_ols_estimates_are_the_raw_slopes_and_carry_the_key_of_their_estimand(known_truth):
    from smartcity_utils.analysis.drivers.lead import lead_driver_estimates
    from smartcity_utils.analysis.drivers.ols import ols_as_estimates

    t = ols_drivers(known_truth, "score", PILLARS).table
    est = ols_as_estimates(t, extra=["n"])
    assert list(est.columns) == ["pillar", "estimate", "ci_low", "ci_high", "n"]
    np.testing.assert_array_equal(est["estimate"], t["coef"])
    np.testing.assert_array_equal(est["ci_high"], t["coef_ci_high"])
    out = lead_driver_estimates(t.assign(is_simulated=False))
    assert (out["estimand_key"] == "estimand_ols").all() and (out["method"] == "ols").all()
    np.testing.assert_array_equal(out["estimate"], t["coef"])
    lead = t.assign(method="eiv", is_simulated=True)
    out = lead_driver_estimates(pd.concat([lead, t.assign(is_simulated=True)]))
    assert (out["estimand_key"] == "estimand_eiv").all()
    np.testing.assert_array_equal(out["estimate"], t["estimate"])


# --- labels, orders, foreign tables ----------------------------------------------------------------------


def test_ordinal_logit_reports_log_odds_with_the_odds_ratio_and_clusters_by_regency():
    # Input: one data set, then the same rows four times over as four years of each regency.
    # Expected: the same log-odds; model-based errors halve (four times the rows), errors clustered by regency
    # stay near the single-copy ones (the copies are no new evidence); odds ratio = exp(log-odds).
    df = _latent_rank_frame(n=240)
    once = ordinal_rank_drivers(df, PILLARS[:3], "percentile", share=0.25).set_index("pillar")
    four = pd.concat([df.assign(regency_id=np.arange(len(df)))] * 4, ignore_index=True)
    naive = ordinal_rank_drivers(four, PILLARS[:3], "percentile", share=0.25).set_index("pillar")
    clustered = ordinal_rank_drivers(four, PILLARS[:3], "percentile", share=0.25,
                                     cluster_col="regency_id").set_index("pillar")
    g = "smart_governance"
    # (the standardisation divides by n - 1, so four copies move the scale a little)
    np.testing.assert_allclose(clustered.at[g, "estimate"], once.at[g, "estimate"], rtol=1e-2)
    assert naive.at[g, "std_err"] == pytest.approx(once.at[g, "std_err"] / 2, rel=0.05)
    assert clustered.at[g, "std_err"] == pytest.approx(once.at[g, "std_err"], rel=0.15)
    assert clustered.at[g, "errors"] == "clustered by regency_id" and naive.at[g, "errors"] == "model-based"
    assert clustered.at[g, "odds_ratio"] == pytest.approx(np.exp(clustered.at[g, "estimate"]))
    assert clustered.at[g, "odds_ratio_ci_low"] == pytest.approx(np.exp(clustered.at[g, "ci_low"]))
    summary = summary_words(driver_summary({"ordinal_logit": clustered.reset_index()}), "en").iloc[0]
    assert "log-odds" in summary["answer"] and "odds multiplied by" in summary["answer"]
    assert "log-odds" in summary["estimand"] and "how much the odds rise" not in summary["estimand"].lower()


def test_order_probabilities_by_hand():
    from smartcity_utils.analysis.drivers.orders import order_probabilities

    # Four draws of three estimates; order by estimate a > b > c.
    draws = np.array([[3.0, 2.0, 1.0], [3.0, 1.0, 2.0], [1.0, 3.0, 2.0], [3.0, 2.0, 1.0]])
    t = order_probabilities(draws, ["a", "b", "c"], [2.5, 2.0, 1.5]).set_index("pillar")
    assert t["position"].tolist() == [1, 2, 3]
    assert t["p_first"].tolist() == [0.75, 0.25, 0.0]
    assert t.at["a", "p_above_next"] == 0.75 and t.at["b", "p_above_next"] == 0.75
    assert t["p_this_order"].iloc[0] == 0.5  # draws 1 and 4
    assert np.isnan(t.at["c", "p_above_next"])


def test_no_method_counts_as_an_independent_vote():
    from smartcity_utils.report.texts import text

    words = text("en", "finding_agreement", same=6, n=6, top="Smart Governance")
    assert "6 of the other 6" in words and "not independent confirmation" in words
    # OLS: bias, not too narrow intervals.
    assert "bias" in text("en", "why_ols") and "too narrow" not in text("en", "why_ols")


def test_json_estimate_is_the_number_the_text_reports(tmp_path):
    # Input: a table whose target is 2 x a + 1 x b + noise, columns on very different scales.
    # Expected: the JSON "estimate" of the regression is the raw slope the text prints, not a standardised one.
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 80), rng.normal(0, 10, 80)
    y = 2 * a + 1 * b + rng.normal(0, 0.5, 80)
    path = _table(tmp_path, ["a", "b", "y"], np.column_stack([a, b, y]).round(4).tolist())
    js, txt = io.StringIO(), io.StringIO()
    drivers_command(str(path), "y", None, True, out=js, n_boot=5)
    drivers_command(str(path), "y", None, False, out=txt, n_boot=5, words=_words)
    ols = {r["pillar"]: r for r in json.loads(js.getvalue())["methods"]["ols"]}
    assert ols["a"]["estimate"] == pytest.approx(2.0, abs=0.1) and ols["a"]["estimate"] == ols["a"]["coef"]
    assert f"{ols['a']['estimate']:.2f} [" in txt.getvalue()
    assert abs(ols["b"]["std_estimate"]) > abs(ols["a"]["std_estimate"])


def _copy_table(tmp_path, exact: bool = False):
    rng = np.random.default_rng(9)
    x = rng.normal(3, 0.5, (40, 3))
    y = x @ [0.5, 0.3, 0.2] + (0 if exact else rng.normal(0, 0.1, 40))
    rows = np.column_stack([x, y.round(4), (y * 100 - 250).round(4)])  # the last column: the target shifted, rescaled
    return _table(tmp_path, ["a", "b", "c", "index", "index_relative"], rows.tolist())


def test_a_copy_of_the_target_is_named_and_left_out(tmp_path):
    # Input: a column that is the target times 100 minus 250. Old: taken as a fourth pillar and ranked first.
    # Expected: left out, named, with the reason; the three real pillars analysed.
    path = _copy_table(tmp_path)
    js, txt = io.StringIO(), io.StringIO()
    drivers_command(str(path), "index", None, True, out=js, n_boot=5)
    payload = json.loads(js.getvalue())
    assert payload["pillars"] == ["a", "b", "c"]
    assert "function of the target" in payload["left_out"]["index_relative"]
    drivers_command(str(path), "index", None, False, out=txt, n_boot=5)
    assert "index_relative ((almost) a function of the target 'index'" in txt.getvalue()
    with pytest.raises(DriverInputError, match=r"column 'index_relative': \(almost\) a function of the target"):
        drivers_command(str(path), "index", ["a", "index_relative"], False, out=io.StringIO(), n_boot=5)


def test_r_squared_of_one_is_said_to_be_a_formula(tmp_path):
    # Input: the target an exact weighted sum of the columns, rounded to 4 decimals. Expected: a note before the
    # slopes that it is a formula and the intervals come from rounding.
    path = _copy_table(tmp_path, exact=True)
    js = io.StringIO()
    drivers_command(str(path), "index", None, True, out=js, n_boot=5)
    payload = json.loads(js.getvalue())
    assert payload["exact_formula"] is True
    assert any("is a formula of the columns" in n and "rounding index to 4 decimals" in n for n in payload["notes"])
    noisy = io.StringIO()
    drivers_command(str(_copy_table(tmp_path)), "index", None, True, out=noisy, n_boot=5)
    assert json.loads(noisy.getvalue())["exact_formula"] is False


@pytest.mark.parametrize("curved, linear", [pytest.param(False, True, id="linear_target"),
                                             pytest.param(True, False, id="curved_target_flagged")])
def test_specification_test_says_when_the_target_is_not_linear(tmp_path, curved, linear):
    rng = np.random.default_rng(4)
    x = rng.normal(0, 1, (300, 2))
    lin = x @ [1.0, 0.5]
    y = lin + (0.8 * lin**2 if curved else 0) + rng.normal(0, 0.3, 300)
    path = _table(tmp_path, ["a", "b", "y"], np.column_stack([x, y]).round(5).tolist())
    js = io.StringIO()
    drivers_command(str(path), "y", None, True, out=js, n_boot=5)
    spec = json.loads(js.getvalue())["specification_test"]
    assert spec["linear"] is linear
    assert (spec["p_value"] < 0.001) if curved else (spec["p_value"] > 0.05)


@pytest.mark.skipif(not VALIDATION_CSV.is_file(), reason="shared validation table not present")
def test_validation_table_copy_of_the_target_left_out_and_formula_said(tmp_path):
    js = io.StringIO()
    drivers_command(str(VALIDATION_CSV), "SmartCity_Index", None, True, out=js, n_boot=5)
    payload = json.loads(js.getvalue())
    assert "SmartCity_Index_relative_Edmonton" in payload["left_out"]
    assert "SmartCity_Index_relative_Edmonton" not in payload["pillars"] and len(payload["pillars"]) == 6
    assert payload["exact_formula"] is True
