"""Coverage of the lead driver intervals and of the rank bands when panels break the model's assumptions.

The estimators are built on a model of how panels score (errors independent
within a panel, one error covariance in every year, panels of 3 or 4, a
linear headline); the simulator that checks them is built on the same model.
This benchmark generates data otherwise (``smartcity_simulator.STRESS_SCENARIOS``:
item-specific leniency, panel moderation, error growing with the regency's
level, twice the error in the years without assessor rows, panels of 2 then
of 5, a non-linear headline, an interaction of two pillars) and measures, per
scenario, over seeds that include the bundled example's own (2017):

* **lead intervals** (95 %), share of the 6 pillars x seeds whose interval
  holds the true weight ``beta_k``: *before* = the pooled errors-in-variables
  interval (the lead as it always ran); *measured years* = the same on the
  regency-years with their own assessor rows alone; *after* = the pooled
  interval widened by the error-size bound (``eiv_bound``), the one the
  notebook reads when the error in the other years cannot be checked; and the
  naive regression (clustered errors). For the non-linear scenarios also
  against the linear summary (the slopes of the true index on the true
  pillars, year effects, same rows), which is what a linear slope estimates
  there, and the share of seeds where the specification test (RESET) says
  "not linear".
* **rank bands** (5-95 %), share of regency-years whose band holds the rank
  of their true score (weights fixed, they are known here): *before* = own
  assessors resampled where assessor rows exist; *after* = the pooled panel
  error over the panel's size; split into regency-years with and without
  assessor rows.
* **naive regression**: mean bias, mean standard error and the spread of its
  estimates over seeds (the model as simulated): its under-coverage is bias.

Figures are printed, never asserted. Run:
``.venv/bin/python benchmarks/stress_drivers.py [n_seeds] [n_boot]`` (default 25 seeds, 199
bootstrap draws: about 5 minutes on two cores).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from smartcity_simulator import STRESS_SCENARIOS, simulate_panels
from smartcity_simulator.model import ASSESSOR_YEARS
from smartcity_utils.analysis.drivers.lead import (
    BOUND_METHOD,
    LEAD_METHOD,
    MEASURED_METHOD,
    assessor_table_from_wide,
    lead_drivers,
)
from smartcity_utils.analysis.drivers.ols import ols_drivers
from smartcity_utils.analysis.index import dimension_keys
from smartcity_utils.analysis.rank_uncertainty import RankModel, dimension_error_cov, rank_uncertainty
from smartcity_utils.analysis.ranks import rank_scores
from smartcity_utils.reference import PILLAR_KEYS

PILLARS = list(PILLAR_KEYS)
EXAMPLE_SEED = 2017
N_BAND_DRAWS = 200
NON_LINEAR = ("non-linear headline (ceiling)", "interaction of two pillars")


def seeds(n: int) -> list[int]:
    """The bundled example's seed, then 1, 2, ...: ``n`` in all."""
    return [EXAMPLE_SEED] + list(range(1, n))


def _panels(seed: int, scenario: dict):
    sim = simulate_panels(seed=seed, scenario=scenario)
    units = sim["units"].rename(columns={"regency": "regency_id"})
    assessors = sim["assessors"].rename(columns={"regency": "regency_id"})
    assessors = assessors[assessors["year"].isin(ASSESSOR_YEARS)]
    units["n_assessors"] = units["n_assessors"].where(units["year"].isin(ASSESSOR_YEARS), 0)
    return sim, units, assessors


def _covered(table: pd.DataFrame, truth: pd.Series) -> float:
    t = table.set_index("pillar")
    return float(((t["ci_low"] <= truth) & (truth <= t["ci_high"])).mean())


def lead_run(seed: int, name: str, n_boot: int) -> dict:
    """Lead, measured-years, bound and naive intervals on one simulated data set, scored against the truth."""
    sim, units, assessors = _panels(seed, STRESS_SCENARIOS[name])
    beta = pd.Series(sim["parameters"]["beta_k"])
    wide = assessor_table_from_wide(assessors, sim["weights"])
    lead = lead_drivers(units, wide, n_boot=n_boot, seed=seed).table
    ols = ols_drivers(units, "final_score", PILLARS, year_col="year", cluster_col="regency_id")
    out = {"scenario": name, "seed": seed, "reset_rejects": not ols.specification["linear"]}
    tables = {"before": lead[lead["method"] == LEAD_METHOD], "measured years": lead[lead["method"] == MEASURED_METHOD],
              "after": lead[lead["method"] == BOUND_METHOD], "naive OLS": ols.table}
    for label, table in tables.items():
        out[label] = _covered(table, beta)
    if name in NON_LINEAR:
        latent = units.drop(columns=PILLARS).rename(columns={f"true_{p}": p for p in PILLARS})
        summary = ols_drivers(latent, "true_index", PILLARS, year_col="year").table.set_index("pillar")["coef"]
        for label, table in tables.items():
            out[f"{label} (linear summary)"] = _covered(table, summary)
    est = ols.table.set_index("pillar")
    for p in PILLARS:
        out[f"ols_error_{p}"] = est.at[p, "coef"] - beta[p]
        out[f"ols_se_{p}"] = est.at[p, "std_err"]
    return out


def band_run(seed: int, name: str) -> dict:
    """Rank-band coverage of the true ranks, resampled own assessors against the pooled panel error."""
    sim, units, assessors = _panels(seed, STRESS_SCENARIOS[name])
    dims = dimension_keys()
    tidy = assessors.melt(id_vars=["regency_id", "year", "assessor"], value_vars=dims, var_name="dimension_key",
                          value_name="score")
    cov = dimension_error_cov(tidy)
    known = assessors.groupby(["regency_id", "year"]).size()
    assumed = len(known) / np.sum(1.0 / known.to_numpy(float))
    truth = rank_scores(units.assign(_true=units["true_final_score"]), "_true").to_numpy()
    has = units["year"].isin(ASSESSOR_YEARS).to_numpy()
    out = {"scenario": name, "seed": seed}
    for label, variance in (("before", "resample"), ("after", "pooled")):
        model = RankModel(n_draws=N_BAND_DRAWS, seed=seed, weight_spread=0.0, assessor_scores=tidy,
                          panel_error_cov=cov, panel_size=assumed, panel_variance=variance)
        band = rank_uncertainty(units, model)
        inside = (band["rank_p05"].to_numpy() <= truth) & (truth <= band["rank_p95"].to_numpy())
        out[f"{label}, assessor rows"] = float(inside[has].mean())
        out[f"{label}, other years"] = float(inside[~has].mean())
    return out


def main(n_seeds: int = 25, n_boot: int = 199) -> tuple[pd.DataFrame, pd.DataFrame]:
    start = time.perf_counter()
    lead_rows, band_rows = [], []
    for name in STRESS_SCENARIOS:
        for seed in seeds(n_seeds):
            lead_rows.append(lead_run(seed, name, n_boot))
            band_rows.append(band_run(seed, name))
        print(f"  {name}: done ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    lead = pd.DataFrame(lead_rows)
    bands = pd.DataFrame(band_rows)
    print(f"SIMULATED data: {n_seeds} seeds per scenario (the example's seed {EXAMPLE_SEED} and 1 to {n_seeds - 1}), "
          f"{n_boot} bootstrap draws, assessor rows kept for {', '.join(map(str, ASSESSOR_YEARS))}; "
          f"{time.perf_counter() - start:.0f} s")
    cols = ["before", "measured years", "after", "naive OLS"]
    print("\nLead intervals (95 %): share of pillars x seeds whose interval holds the true weight")
    table = lead.groupby("scenario", sort=False)[cols].mean()
    table["RESET says not linear"] = lead.groupby("scenario", sort=False)["reset_rejects"].mean()
    print((100 * table).round(0).astype(int).to_string())
    linear = [f"{c} (linear summary)" for c in cols]
    sub = lead[lead["scenario"].isin(NON_LINEAR)]
    if len(sub):
        print("\nNon-linear headlines, against the linear summary (slopes of the true index on the true pillars)")
        print((100 * sub.groupby("scenario", sort=False)[linear].mean()).round(0).astype(int).to_string())
    print("\nRank bands (5-95 %): share of regency-years whose band holds the rank of their true score")
    band_cols = ["before, assessor rows", "after, assessor rows", "before, other years", "after, other years"]
    print((100 * bands.groupby("scenario", sort=False)[band_cols].mean()).round(0).astype(int).to_string())
    base = lead[lead["scenario"] == "as simulated"]
    print("\nNaive regression, model as simulated: bias against its standard error")
    rows = []
    for p in PILLARS:
        err = base[f"ols_error_{p}"]
        rows.append({"pillar": p, "mean bias": err.mean(), "mean SE": base[f"ols_se_{p}"].mean(),
                     "SD of estimates": err.std(ddof=1), "bias / SE": err.mean() / base[f"ols_se_{p}"].mean()})
    print(pd.DataFrame(rows).set_index("pillar").round(3).to_string())
    return table, bands


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
