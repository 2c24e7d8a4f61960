"""Known-truth checks of the measurement models, on data simulated here with numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.analysis.drivers.eiv import eiv_drivers, split_panel_drivers
from smartcity_utils.analysis.measurement import (
    assessor_leniency,
    cronbach_alpha,
    error_covariance,
    icc,
    omega_total,
    pillar_structure,
)

PILLARS = [f"p{i}" for i in range(6)]
BETA = np.array([0.35, 0.10, 0.15, 0.12, 0.20, 0.02])


# ---------------------------------------------------------------------------
# simulators
# ---------------------------------------------------------------------------


def one_factor(rng, n, loadings, psi):
    f = rng.normal(size=(n, 1))
    return f * loadings + rng.normal(size=(n, len(loadings))) * np.sqrt(psi)


def error_sigma(sd_p=0.3, sd_h=0.25, r_pp=0.5, r_ph=0.65):
    """One assessor's error covariance: six pillars then the headline."""
    sd = np.r_[np.full(6, sd_p), sd_h]
    corr = np.full((7, 7), r_pp)
    corr[:6, 6] = corr[6, :6] = r_ph
    np.fill_diagonal(corr, 1.0)
    return corr * np.outer(sd, sd)


def simulate_panels(rng, n_units=300, panel=4, sigma=None):
    """Assessor rows (wide) and unit panel means: one strong factor, shared pillar/headline errors."""
    sigma = error_sigma() if sigma is None else sigma
    truth = 2 + 0.45 * rng.normal(size=(n_units, 1)) + rng.normal(0, 0.25, (n_units, 6))
    y = 0.5 + truth @ BETA + rng.normal(0, 0.1, n_units)
    sizes = np.full(n_units, panel) if np.isscalar(panel) else np.asarray(panel)
    unit = np.repeat(np.arange(n_units), sizes)
    err = rng.multivariate_normal(np.zeros(7), sigma, size=len(unit))
    wide = pd.DataFrame(np.column_stack([truth[unit], y[unit]]) + err, columns=PILLARS + ["headline"])
    wide["unit"] = unit
    wide["rater"] = np.arange(len(unit))
    wide["regency"] = unit // 2  # two years per regency
    units = wide.groupby(["unit", "regency"])[PILLARS + ["headline"]].mean().reset_index()
    units["m"] = sizes
    return wide, units


def simulate_oneway(rng, n_units, sizes, s2_u, s2_e):
    sizes = np.broadcast_to(sizes, (n_units,))
    unit = np.repeat(np.arange(n_units), sizes)
    score = rng.normal(0, np.sqrt(s2_u), n_units)[unit] + rng.normal(0, np.sqrt(s2_e), len(unit))
    return pd.DataFrame({"unit": unit, "rater": np.arange(len(unit)), "score": score})


def simulate_crossed(rng, n_units=150, n_raters=40, n_items=6, sd_u=0.5, sd_r=0.15, sd_e=0.3):
    item_mean = np.linspace(1.5, 2.5, n_items)
    u = rng.normal(0, sd_u, n_units)
    b = rng.normal(0, sd_r, n_raters)
    rows = []
    for i in range(n_units):
        for r in rng.choice(n_raters, size=rng.choice([3, 4]), replace=False):
            for j in range(n_items):
                rows.append((i // 3, 2020 + i % 3, f"Asesor {r}", f"item{j}",
                             item_mean[j] + u[i] + b[r] + rng.normal(0, sd_e)))
    frame = pd.DataFrame(rows, columns=["regency_id", "year", "assessor", "pillar_key", "score"])
    return frame, pd.Series(b, index=[f"Asesor {r}" for r in range(n_raters)])


# ---------------------------------------------------------------------------
# 1. alpha, omega, structure
# ---------------------------------------------------------------------------


def test_alpha_matches_hand_computation():
    tiny = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 3, 3, 5], "c": [3, 3, 4, 5]})
    # item variances 5/3 + 19/12 + 11/12 = 25/6; total variance 35/3
    # alpha = 3/2 * (1 - (25/6) / (35/3)) = 27/28
    res = cronbach_alpha(tiny)
    assert res["alpha"] == pytest.approx(27 / 28)
    assert res["alpha_ci_low"] < res["alpha"] < res["alpha_ci_high"] <= 1


def test_omega_matches_closed_form():
    rng = np.random.default_rng(1)
    loadings = np.array([0.8, 0.7, 0.6, 0.5, 0.9, 0.4])
    psi = np.array([0.3, 0.2, 0.4, 0.5, 0.2, 0.6])
    x = one_factor(rng, 20_000, loadings, psi)
    truth = loadings.sum() ** 2 / (loadings.sum() ** 2 + psi.sum())
    res = omega_total(x)
    assert res["converged"]
    assert res["omega_total"] == pytest.approx(truth, abs=0.01)
    np.testing.assert_allclose(res["loadings"], loadings, atol=0.03)


def test_pillar_structure_per_group_and_pooled():
    rng = np.random.default_rng(2)
    x = one_factor(rng, 600, np.full(6, 0.8), np.full(6, 0.36))
    frame = pd.DataFrame(x, columns=PILLARS).assign(year=np.repeat([2021, 2022, 2023], 200))
    out = pillar_structure(frame, PILLARS, by="year")
    assert set(out) == {"correlation", "pca", "reliability"}
    rel = out["reliability"].set_index("group")
    assert list(rel.index) == [2021, 2022, 2023, "all"]
    assert rel.loc["all", "n_units"] == 600
    # equal loadings: alpha equals omega; first component = (1 + 5 r) / 6 with r = .64 / 1.0
    assert rel.loc["all", "alpha"] == pytest.approx(rel.loc["all", "omega_total"], abs=0.01)
    pca = out["pca"].query("group == 'all'")
    assert pca["share"].sum() == pytest.approx(1.0)
    assert pca["share"].iloc[0] == pytest.approx((1 + 5 * 0.64) / 6, abs=0.04)
    assert len(out["correlation"].query("group == 'all'")) == 36


# ---------------------------------------------------------------------------
# 2. ICC
# ---------------------------------------------------------------------------

S2_U, S2_E = 0.3, 0.1
TRUE_ICC1 = S2_U / (S2_U + S2_E)


@pytest.mark.parametrize("sizes", [pytest.param(4, id="balanced"),
                                   pytest.param(np.tile([2, 3, 4, 4], 250), id="unbalanced")])
def test_icc_point_estimate(sizes):
    rng = np.random.default_rng(3)
    frame = simulate_oneway(rng, 1000, sizes, S2_U, S2_E)
    row = icc(frame, "unit", "rater").iloc[0]
    assert row["icc1"] == pytest.approx(TRUE_ICC1, abs=0.03)
    k = row["k"]
    assert row["icck"] == pytest.approx(k * TRUE_ICC1 / (1 + (k - 1) * TRUE_ICC1), abs=0.02)
    assert row["icc1_ci_low"] < row["icc1"] < row["icc1_ci_high"]


@pytest.mark.parametrize("sizes", [pytest.param(3, id="balanced"),
                                   pytest.param(np.tile([3, 4], 20), id="unbalanced")])
def test_icc_interval_coverage(sizes):
    rng = np.random.default_rng(4)
    hits = []
    for _ in range(200):
        row = icc(simulate_oneway(rng, 40, sizes, S2_U, S2_E), "unit", "rater").iloc[0]
        hits.append(row["icc1_ci_low"] <= TRUE_ICC1 <= row["icc1_ci_high"])
    assert np.mean(hits) >= 0.90


def test_icc_per_item():
    rng = np.random.default_rng(5)
    a = simulate_oneway(rng, 200, 3, S2_U, S2_E).assign(item="a")
    b = simulate_oneway(rng, 200, 3, 0.0, 1.0).assign(item="b")
    out = icc(pd.concat([a, b]), "unit", "rater", item_col="item").set_index("item")
    assert out.loc["a", "icc1"] > 0.6
    assert abs(out.loc["b", "icc1"]) < 0.1


# ---------------------------------------------------------------------------
# 3. leniency
# ---------------------------------------------------------------------------


def test_leniency_recovers_rater_effects():
    rng = np.random.default_rng(6)
    frame, true_b = simulate_crossed(rng)
    res = assessor_leniency(frame, ["regency_id", "year"], "assessor", item_col="pillar_key")
    assert res.converged
    est = res.leniency.set_index("rater")["leniency"]
    assert np.corrcoef(est, true_b[est.index])[0, 1] > 0.8
    vc = res.variance_components.set_index("component")["variance"]
    assert vc["rater"] == pytest.approx(0.15**2, abs=0.012)
    assert vc["unit"] == pytest.approx(0.5**2, abs=0.08)
    assert vc["residual"] == pytest.approx(0.3**2, abs=0.01)
    assert (res.leniency["se"] > 0).all()
    adjusted = res.adjust(frame)
    np.testing.assert_allclose(adjusted["score"] - adjusted["score_adjusted"],
                               adjusted["assessor"].map(est))


def test_leniency_halo_component_is_recovered():
    rng = np.random.default_rng(14)
    frame, _ = simulate_crossed(rng, n_units=90, n_raters=30, n_items=6)
    panel = frame.groupby(["regency_id", "year", "assessor"]).ngroup().to_numpy()
    frame["score"] += rng.normal(0, 0.15, panel.max() + 1)[panel]  # assessor halo per unit
    res = assessor_leniency(frame, ["regency_id", "year"], "assessor", item_col="pillar_key",
                            components=("unit", "rater", "unit:rater"))
    vc = res.variance_components.set_index("component")["variance"]
    assert vc["unit:rater"] == pytest.approx(0.15**2, abs=0.012)
    assert vc["residual"] == pytest.approx(0.3**2, abs=0.012)


def mixedlm_leniency(frame, item_col, components=("unit", "rater")):
    """The same crossed model fitted independently by statsmodels MixedLM (one group holding all rows, one
    variance component per term; dense, small data only): variances (the terms, then the residual), the
    raters' BLUPs and conditional SDs (raters in sorted order), and the item means."""
    import statsmodels.api as sm

    codes = {"unit": frame.groupby(["regency_id", "year"]).ngroup().to_numpy(),
             "rater": np.unique(frame["assessor"].astype(str), return_inverse=True)[1],
             "item": np.unique(frame[item_col].astype(str), return_inverse=True)[1]}
    m = pd.DataFrame({"y": frame["score"].to_numpy(float), "g": 1})
    for term in components:
        key = np.zeros(len(m), np.int64)
        for part in term.split(":"):
            key = key * (codes[part].max() + 1) + codes[part]
        m[term.replace(":", "_")] = np.unique(key, return_inverse=True)[1]
    vc = {term.replace(":", "_"): f"0 + C({term.replace(':', '_')})" for term in components}
    exog_vc = sm.MixedLM.from_formula("y ~ 1", m, groups="g", re_formula="0", vc_formula=vc).exog_vc
    res = sm.MixedLM(m["y"], np.eye(codes["item"].max() + 1)[codes["item"]], groups=m["g"],
                     exog_vc=exog_vc).fit(reml=True)
    fitted = dict(zip(exog_vc.names, np.atleast_1d(res.vcomp)))
    variances = [fitted[term.replace(":", "_")] for term in components] + [res.scale]
    # labels look like rater[C(rater)[3]]: in the order of the integer code
    keys = sorted((k for k in res.random_effects[1].index if k.startswith("rater[")),
                  key=lambda k: int(k.rsplit("[", 1)[1].rstrip("]")))
    se = np.sqrt(np.diag(res.random_effects_cov[1].loc[keys, keys].to_numpy()))
    return np.array(variances), res.random_effects[1][keys].to_numpy(), se, np.asarray(res.fe_params)


def test_leniency_reml_matches_statsmodels_mixedlm():
    rng = np.random.default_rng(7)
    frame, _ = simulate_crossed(rng, n_units=45, n_raters=15, n_items=2)
    own = assessor_leniency(frame, ["regency_id", "year"], "assessor", item_col="pillar_key")
    variances, blup, se, _ = mixedlm_leniency(frame, "pillar_key")
    np.testing.assert_allclose(own.variance_components["variance"], variances, rtol=0.02, atol=1e-3)
    np.testing.assert_allclose(own.leniency["leniency"], blup, atol=2e-3)
    # own SEs are prediction-error SEs that include the item means' uncertainty;
    # MixedLM's random_effects_cov conditions on the fixed effects, so it is a bit smaller
    assert (own.leniency["se"] >= se - 1e-6).all()
    np.testing.assert_allclose(own.leniency["se"], se, rtol=0.10)


def simulate_with_item_differences(rng, n_units=60, n_raters=20, n_items=4, sd_u=0.4, sd_r=0.12, sd_h=0.10,
                                   sd_ui=0.2, sd_e=0.15):
    """Assessor rows with true item-to-item differences within a regency-year (unit:item) and a halo."""
    item_mean = np.linspace(2.0, 2.6, n_items)
    u = rng.normal(0, sd_u, n_units)
    ui = rng.normal(0, sd_ui, (n_units, n_items))
    b = rng.normal(0, sd_r, n_raters)
    rows = []
    for i in range(n_units):
        for r in rng.choice(n_raters, size=rng.choice([3, 4]), replace=False):
            halo = rng.normal(0, sd_h)
            for j in range(n_items):
                rows.append((i, 2022, f"Asesor {r}", f"item{j}",
                             item_mean[j] + u[i] + ui[i, j] + b[r] + halo + rng.normal(0, sd_e)))
    return pd.DataFrame(rows, columns=["regency_id", "year", "assessor", "item", "score"])


FOUR_TERMS = ("unit", "rater", "unit:rater", "unit:item")


@pytest.mark.parametrize("components, expected_residual", [
    # Input: true item differences sd 0.2 and own noise sd 0.15 (0.0225).
    # Without the unit:item term the item differences land in the residual: 0.04 + 0.0225.
    pytest.param(("unit", "rater", "unit:rater"), 0.04 + 0.0225, id="without_item_term_residual_inflated"),
    # With it the residual is the assessor's own noise again.
    pytest.param(FOUR_TERMS, 0.0225, id="with_item_term_residual_is_own_noise"),
])
def test_regency_year_by_item_term_keeps_pillar_differences_out_of_the_noise(components, expected_residual):
    frame = simulate_with_item_differences(np.random.default_rng(21), n_units=250, n_raters=30)
    fit = assessor_leniency(frame, ["regency_id", "year"], "assessor", item_col="item", components=components)
    vc = fit.variance_components.set_index("component")["variance"]
    assert vc["residual"] == pytest.approx(expected_residual, rel=0.12)
    if "unit:item" in components:
        assert vc["unit:item"] == pytest.approx(0.2**2, rel=0.15)
        assert vc["unit:rater"] == pytest.approx(0.10**2, abs=0.004)
    else:  # the halo is understated too
        assert vc["unit:rater"] < 0.10**2 - 0.004


def test_four_term_sparse_reml_matches_statsmodels_mixedlm():
    # Independent computation: statsmodels MixedLM with one variance component per term, on a small panel.
    frame = simulate_with_item_differences(np.random.default_rng(22), n_units=30, n_raters=10, n_items=3)
    own = assessor_leniency(frame, ["regency_id", "year"], "assessor", item_col="item", components=FOUR_TERMS)
    variances, blup, _, item_means = mixedlm_leniency(frame, "item", FOUR_TERMS)
    np.testing.assert_allclose(own.variance_components["variance"], variances, rtol=0.03, atol=5e-4)
    np.testing.assert_allclose(own.leniency["leniency"], blup, atol=3e-3)
    np.testing.assert_allclose(own.fixed_effects["mean"], item_means, atol=2e-3)


# ---------------------------------------------------------------------------
# 4. error covariance
# ---------------------------------------------------------------------------


def test_error_covariance_recovers_sigma():
    rng = np.random.default_rng(8)
    wide, _ = simulate_panels(rng, n_units=600, panel=np.tile([3, 4], 300))
    est = error_covariance(wide, "unit", "rater", PILLARS, headline="headline")
    truth = error_sigma()
    assert est.attrs["df"] == 300 * 2 + 300 * 3
    sd = np.sqrt(np.diag(est))
    np.testing.assert_allclose(sd, np.sqrt(np.diag(truth)), rtol=0.05)
    corr = est.to_numpy() / np.outer(sd, sd)
    assert corr[:6, :6][np.triu_indices(6, 1)].mean() == pytest.approx(0.5, abs=0.03)
    assert corr[:6, 6].mean() == pytest.approx(0.65, abs=0.03)


def test_error_covariance_headline_from_dimension_weights_long_layout():
    rng = np.random.default_rng(9)
    n_rows = 40 * 3
    dims = {"baseline": 0.1, "output": 0.2, "outcome": 0.3, "impact": 0.2, "quick_wins": 0.2}
    wide = pd.DataFrame(rng.normal(2, 0.5, (n_rows, 5)), columns=list(dims))
    wide["p0"] = rng.normal(2, 0.5, n_rows)
    wide["unit"], wide["rater"] = np.repeat(np.arange(40), 3), np.arange(n_rows)
    long = wide.melt(id_vars=["unit", "rater"], var_name="item", value_name="score")
    from_long = error_covariance(long, "unit", "rater", ["p0"], headline=dims, item_col="item")
    wide["headline"] = wide[list(dims)].to_numpy() @ np.array(list(dims.values()))
    from_wide = error_covariance(wide, "unit", "rater", ["p0"], headline="headline")
    np.testing.assert_allclose(from_long.to_numpy(), from_wide.to_numpy())


# ---------------------------------------------------------------------------
# 5. errors-in-variables drivers
# ---------------------------------------------------------------------------


def _eiv_replications(n_reps, n_boot=399):
    rng = np.random.default_rng(10)
    out = []
    for rep in range(n_reps):
        wide, units = simulate_panels(rng)
        sigma = error_covariance(wide, "unit", "rater", PILLARS, headline="headline")
        res = eiv_drivers(units, PILLARS, "headline", sigma, "m", cluster="regency",
                          n_boot=n_boot, seed=rep)
        res["truth"] = np.tile(BETA, 2)
        out.append(res.assign(rep=rep))
    res = pd.concat(out, ignore_index=True)
    res["covered"] = (res["ci_low"] <= res["truth"]) & (res["truth"] <= res["ci_high"])
    return res


@pytest.fixture(scope="module")
def eiv_reps():
    return _eiv_replications(40)


def test_eiv_removes_the_bias_that_ols_has(eiv_reps):
    mean = eiv_reps.groupby(["method", "pillar"])["estimate"].mean()
    # OLS on panel means attenuates the strongest pillar (errors-in-variables)
    assert BETA[0] - mean["ols", "p0"] > 0.02
    np.testing.assert_allclose(mean["eiv"].reindex(PILLARS), BETA, atol=0.015)


def test_eiv_interval_coverage(eiv_reps):
    """40 replications x 6 pillars; Sigma re-estimated in each replication, so its error counts.

    Binomial SE of a single pillar's coverage over 40 replications is about 3.5
    points at 95 %, hence the pooled >= 85 % and per-pillar >= 75 % bounds.
    """
    eiv = eiv_reps.query("method == 'eiv'")
    assert eiv["covered"].mean() >= 0.85
    assert eiv.groupby("pillar")["covered"].mean().min() >= 0.75
    assert (eiv["n_boot_failed"] == 0).all()
    assert set(eiv["n_clusters"]) == {150} and set(eiv["n_units"]) == {300}


def test_eiv_layout_and_methods():
    rng = np.random.default_rng(11)
    wide, units = simulate_panels(rng, n_units=120)
    sigma = error_covariance(wide, "unit", "rater", PILLARS, headline="headline")
    res = eiv_drivers(units, PILLARS, "headline", sigma, 4, n_boot=99)
    assert list(res.columns[:7]) == ["pillar", "estimate", "ci_low", "ci_high", "se", "method",
                                     "n_units"]
    assert list(res["method"].unique()) == ["eiv", "ols"]
    assert (res["ci_low"] <= res["ci_high"]).all()
    assert res["n_clusters"].iloc[0] == 120


def test_eiv_not_positive_definite_raises():
    rng = np.random.default_rng(12)
    wide, units = simulate_panels(rng, n_units=100)
    sigma = error_covariance(wide, "unit", "rater", PILLARS, headline="headline") * 50
    with pytest.raises(ValueError, match="not estimable"):
        eiv_drivers(units, PILLARS, "headline", sigma, "m", n_boot=9)


def test_split_panel_drivers_near_truth():
    rng = np.random.default_rng(13)
    wide, _ = simulate_panels(rng, n_units=1500)
    res = split_panel_drivers(wide, ["unit", "regency"], "rater", PILLARS, "headline",
                              cluster="regency", n_boot=199)
    eiv = res.query("method == 'split_eiv'").set_index("pillar")
    np.testing.assert_allclose(eiv["estimate"].reindex(PILLARS), BETA, atol=0.05)
    assert (eiv["ci_low"] < eiv["ci_high"]).all()


def test_assessor_rows_average_duplicates():
    from smartcity_utils.analysis.measurement import assessor_rows

    scores = pd.DataFrame({
        "level": ["assessor", "assessor", "assessor", "panel", "assessor"],
        "regency_id": [1, 1, 1, 1, 1], "year": 2023, "assessor": ["A", "A", "B", None, "B"],
        "pillar_key": ["smart_governance", "smart_governance", "smart_governance", "smart_governance", None],
        "dimension_key": [None, None, None, None, None],
        "score": [3.0, 4.0, 2.0, 9.0, 1.0],
    })
    rows = assessor_rows(scores)
    assert rows[["assessor", "item", "score"]].values.tolist() == [["A", "smart_governance", 3.5],
                                                                   ["B", "smart_governance", 2.0]]
    assert len(assessor_rows(scores, average=False)) == 3
