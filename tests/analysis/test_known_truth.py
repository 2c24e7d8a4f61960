"""The driver methods recover the simulator's generating model (known truth)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.analysis.drivers.dominance import dominance_analysis
from smartcity_utils.analysis.drivers.lead import assessor_table
from smartcity_utils.analysis.drivers.ols import ols_drivers
from smartcity_utils.analysis.drivers.run import run_driver_analysis
from smartcity_utils.analysis.gate import driver_frame
from smartcity_utils.analysis.index import index_table
from smartcity_utils.analysis.measurement import LENIENCY_COMPONENTS, assessor_leniency, error_covariance, icc
from smartcity_utils.paths import EXAMPLE_TRUTH_DIR, ROOT
from smartcity_utils.reference import PILLAR_KEYS

TRUTH = EXAMPLE_TRUTH_DIR


def _coverage_script():
    """The coverage benchmark as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("coverage_drivers", ROOT / "benchmarks" / "coverage_drivers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
PILLARS = list(PILLAR_KEYS)


@pytest.fixture(scope="module")
def truth():
    params = json.loads((TRUTH / "simulation_truth.json").read_text(encoding="utf-8"))["parameters"]
    return params, pd.read_csv(TRUTH / "simulation_truth_regency_year.csv")


@pytest.fixture(scope="module")
def cleaned(bundled_example):
    return bundled_example


def test_ols_recovers_true_betas_on_latent_scores(truth):
    params, latent = truth
    # Rows the simulator shifted to reproduce a published figure are not from the model.
    latent = latent[latent["shift_cents"] == 0].rename(columns={f"true_{p}": p for p in PILLARS})
    # Six intervals at 95 % miss a true value one time in four by chance; the
    # Bonferroni level makes the six hold jointly at 95 %.
    fit = ols_drivers(latent, "true_index", PILLARS, level=1 - 0.05 / len(PILLARS))
    table = fit.table.set_index("pillar")
    beta = pd.Series(params["beta_k"])
    inside = (table["coef_ci_low"] <= beta) & (beta <= table["coef_ci_high"])
    assert inside.all(), table[["coef", "coef_ci_low", "coef_ci_high"]].assign(true=beta)
    assert table["coef"].idxmax() == beta.idxmax()


def test_dominance_finds_the_strongest_and_weakest_pillar_on_latent_scores(truth):
    params, latent = truth
    latent = latent.rename(columns={f"true_{p}": p for p in PILLARS})
    dom = dominance_analysis(latent, "true_index", PILLARS, n_boot=50, seed=1).set_index("pillar")
    beta = pd.Series(params["beta_k"])
    assert dom["estimate"].idxmax() == beta.idxmax()
    assert dom["estimate"].idxmin() == beta.idxmin()


def test_methods_find_the_strongest_pillar_in_the_cleaned_data(truth, cleaned):
    params, _ = truth
    beta = pd.Series(params["beta_k"])
    observed = driver_frame(index_table(cleaned.regency_year))
    results = run_driver_analysis(observed, "final_score", PILLARS, year_col="year", group_col="regency_id",
                                  rank_col="rank_computed", n_boot=100, seed=0,
                                  assessors=assessor_table(cleaned.scores))
    summary = results["summary"].set_index("method")
    assert summary.index[0] == "eiv" and summary.at["eiv", "is_lead"]
    assert summary.at["eiv", "top_pillar"] == beta.idxmax()
    lead = results["eiv"].query("method == 'eiv'").set_index("pillar")
    assert lead.loc[beta.idxmax(), "ci_low"] > lead.drop(index=beta.idxmax())["ci_high"].max()


def test_icc_and_leniency_recovered_on_the_simulators_panels(truth, cleaned):
    """The bundled assessor rows carry the simulator's leniency (sd_l), halo (sd_h) and noise (sd_a)."""
    params = json.loads((TRUTH / "simulation_truth.json").read_text(encoding="utf-8"))
    p = params["parameters"]
    rows = cleaned.scores[cleaned.scores["level"] == "assessor"].copy()
    rows["item"] = rows["pillar_key"].fillna(rows["dimension_key"])
    rows = rows.groupby(["regency_id", "year", "assessor", "item"], as_index=False)["score"].mean()
    fit = assessor_leniency(rows, ["regency_id", "year"], "assessor", "score", item_col="item",
                            components=LENIENCY_COMPONENTS)
    comp = fit.variance_components.set_index("component")["variance"]
    true_len = pd.Series(params["assessor_leniency"])
    realised = true_len.var(ddof=1)
    assert 0.5 * realised < comp["rater"] < 2 * realised
    # With the regency-year x item term, halo and own noise are the simulator's (without it: 0.0077 and 0.049).
    assert comp["unit:rater"] == pytest.approx(p["sd_h"] ** 2, rel=0.2)
    assert comp["residual"] == pytest.approx(p["sd_a"] ** 2, rel=0.1)
    blup = fit.leniency.set_index("rater")["leniency"]
    common = blup.index.intersection(true_len.index)
    assert len(common) >= 20
    assert np.corrcoef(blup[common], true_len[common])[0, 1] > 0.8
    # One assessor's errors of two scores of one regency-year share leniency and halo.
    wide = assessor_table(cleaned.scores)
    sigma = error_covariance(wide.dropna(subset=PILLARS + ["headline"]), ["regency_id", "year"], "assessor",
                             PILLARS, headline="headline")
    off = sigma.loc[PILLARS, PILLARS].to_numpy()[~np.eye(len(PILLARS), dtype=bool)].mean()
    shared = params["assessor_error"]["covariance_between_scores"]
    assert abs(off - shared) < 0.4 * shared
    # ICC(1) per pillar: true between-unit variance against one assessor's error variance.
    iccs = icc(rows, ["regency_id", "year"], "assessor", "score", item_col="item").set_index("item")
    err = params["assessor_error"]["variance"]
    for pillar in PILLARS:
        var_unit = iccs.at[pillar, "var_unit"]
        assert iccs.at[pillar, "icc1_ci_low"] < var_unit / (var_unit + err) + 0.05


def test_lead_intervals_cover_the_true_weights_on_a_few_seeds():
    """Cheap version of benchmarks/coverage_drivers.py: 6 seeds x 6 pillars at 95 %."""
    one_seed = _coverage_script().one_seed
    rows = pd.concat([one_seed(seed, n_boot=199) for seed in range(1, 7)], ignore_index=True)
    covered = (rows["ci_low"] <= rows["truth"]) & (rows["truth"] <= rows["ci_high"])
    lead = covered[rows["method"] == "lead (EIV)"].mean()
    assert lead >= 0.83, rows[rows["method"] == "lead (EIV)"]


@pytest.mark.slow
def test_lead_coverage_near_nominal_over_30_seeds():
    one_seed = _coverage_script().one_seed
    rows = pd.concat([one_seed(seed, n_boot=199) for seed in range(1, 31)], ignore_index=True)
    covered = (rows["ci_low"] <= rows["truth"]) & (rows["truth"] <= rows["ci_high"])
    assert 0.9 <= covered[rows["method"] == "lead (EIV)"].mean() <= 0.99


@pytest.mark.parametrize("scenario", [
    pytest.param({}, id="as_simulated"),
    pytest.param({"error_scale_by_year": {2019: 2.0, 2020: 2.0, 2021: 2.0}}, id="error_x2_in_other_years"),
])
def test_lead_estimate_beside_its_measured_years_version_and_bound(scenario):
    # Input: simulated panels (assessor rows for 2022-24 only). Expected: the pooled lead, its version from the
    # years with assessor rows alone and the error-size bound; the widened interval holds the lead one, the
    # bound holds the estimate, and the assumptions say what is carried over unchecked.
    from smartcity_simulator import simulate_panels
    from smartcity_simulator.model import ASSESSOR_YEARS
    from smartcity_utils.analysis.drivers.lead import assessor_table_from_wide, lead_drivers

    sim = simulate_panels(seed=4, scenario=scenario)
    units = sim["units"].rename(columns={"regency": "regency_id"})
    rows = sim["assessors"].rename(columns={"regency": "regency_id"})
    rows = rows[rows["year"].isin(ASSESSOR_YEARS)]
    units["n_assessors"] = units["n_assessors"].where(units["year"].isin(ASSESSOR_YEARS), 0)
    res = lead_drivers(units, assessor_table_from_wide(rows, sim["weights"]), n_boot=99, seed=4)
    by = {m: t.set_index("pillar") for m, t in res.table.groupby("method")}
    assert {"eiv", "eiv_measured", "eiv_bound", "ols_bootstrap"} <= set(by)
    assert (by["eiv_measured"]["n_units"] == units["year"].isin(ASSESSOR_YEARS).sum()).all()
    assert (by["eiv_bound"]["ci_low"] <= by["eiv"]["ci_low"]).all()
    assert (by["eiv_bound"]["ci_high"] >= by["eiv"]["ci_high"]).all()
    bound = res.sensitivity[res.sensitivity["where"] == "bound"].set_index("pillar")
    assert ((bound["low"] <= by["eiv"]["estimate"]) & (by["eiv"]["estimate"] <= bound["high"])).all()
    from smartcity_utils.report.numbers import say

    carried = res.assumptions["carried_to_other_years"]
    assert carried["n_other"] == (~units["year"].isin(ASSESSOR_YEARS)).sum()
    assert "cannot check it" in say("en", carried) and "tidak dapat memeriksanya" in say("id", carried)
    assert "independently" in say("en", res.assumptions["independent_within_panel"])
    beta = pd.Series(sim["parameters"]["beta_k"])
    # The pooled error covariance understates the 2019-21 error in the second case (sd doubled, covariance x 4):
    # the estimate with the covariance four times as large in those years lies closer to the true Governance
    # weight than the pooled one.
    if scenario:
        doubled = res.sensitivity.query("where == 'other years' and factor == 4.0").set_index("pillar")["value"]
        g = "smart_governance"
        assert abs(doubled[g] - beta[g]) < abs(by["eiv"].at[g, "estimate"] - beta[g])
