"""Coverage of what the reports quote when a whole panel errs together: rank bands, rank sets, the lead interval.

Panels are simulated by ``smartcity_simulator.simulate_panels`` (assessors err
independently there) and then given errors the within-panel spread cannot see,
the same for every assessor of a panel, with a known answer (the true index and
the true pillar weights ``beta_k``):

* **per panel**: one error on every item (pillars and dimensions) of a panel;
* **per item**: one error per item and panel;
* **heavy tails**: those errors drawn from Student's t with 3 degrees of freedom
  (scaled to the same standard deviation);
* **score grid**: each assessor's pillar scores rounded to 1/12 (the grid Kota
  Kediri 2022's pillar scores sit on);
* **regency effect**: one error per regency, the same in every year (a panel
  that always reads a regency's documents kindly);
* **year shock**: one error per year, the same for every regency (it moves no
  rank within a year and no slope with year effects, and should change nothing).

Per scenario, over seeds, it prints the share of true values inside what the
reports quote, with the Monte Carlo error (the standard deviation of the
per-seed shares over the square root of the number of seeds):

* the **plausible rank range** (5-95 % band, nominal 90 %), with the
  panel-shared error's size from the data (the default,
  :func:`smartcity_utils.analysis.rank_sets.shared_error_sd`: an upper bound from
  regencies scored in consecutive years), and with the true size (what the band
  gives when the size is right), and without any (the band before);
* the **95 % confidence sets** for ranks (marginal per regency-year;
  simultaneous: share of groups whose sets all hold), with the default size;
* the **lead driver interval** (95 %) as quoted, widened by the error-size
  bound, and the plain bootstrap interval beside it.

Figures are printed, never asserted. Run:
``.venv/bin/python benchmarks/coverage_ranks.py [n_seeds] [n_boot]`` (default 10 seeds, 99 bootstrap draws of
the lead; about 10 minutes on two cores).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from smartcity_simulator import simulate_panels
from smartcity_simulator.model import ASSESSOR_YEARS
from smartcity_utils.analysis.drivers.lead import (
    BOUND_METHOD,
    LEAD_METHOD,
    assessor_table_from_wide,
    lead_drivers,
    panel_sizes,
)
from smartcity_utils.analysis.index import dimension_keys
from smartcity_utils.analysis.rank_sets import panel_index_variance, rank_confidence_sets, shared_error_sd
from smartcity_utils.analysis.rank_uncertainty import RankModel, dimension_error_cov, rank_uncertainty
from smartcity_utils.analysis.ranks import rank_scores
from smartcity_utils.reference import PILLAR_KEYS

PILLARS = list(PILLAR_KEYS)
DIMS = dimension_keys()
ITEMS = PILLARS + DIMS
EXAMPLE_SEED = 2017
N_BAND_DRAWS = 300

#: Scenarios: the sd of each error a panel shares (index points), and the departures.
SCENARIOS: dict[str, dict] = {
    "assessors err independently (as simulated)": {},
    "a panel shares an error (sd 0.06)": {"panel": 0.06},
    "a panel shares an error per item (sd 0.08)": {"item": 0.08},
    "both, heavy tails, 1/12 grid, regency effect, year shock": {
        "panel": 0.06, "item": 0.08, "tails": 3, "grid": 12, "regency": 0.04, "year": 0.10},
}


def seeds(n: int) -> list[int]:
    """The bundled example's seed, then 1, 2, ...: ``n`` in all."""
    return [EXAMPLE_SEED] + list(range(1, n))


def _errors(rng: np.random.Generator, sd: float, size, tails: int | None) -> np.ndarray:
    if not sd:
        return np.zeros(size)
    if tails:
        return sd * rng.standard_t(tails, size) / np.sqrt(tails / (tails - 2))
    return rng.normal(0.0, sd, size)


def shared_panels(seed: int, spec: dict) -> tuple[dict, pd.DataFrame, pd.DataFrame, float]:
    """Simulated panels with the errors of ``spec`` added the same to every assessor of a panel.

    Returns:
        ``(sim, units, assessors, true_shared_sd)``: units with their panel means and index moved by the shared
        errors, assessor rows of the years the example keeps them for, and the sd of the shared error of an
        index (what the band should carry).
    """
    sim = simulate_panels(seed=seed)
    units = sim["units"].rename(columns={"regency": "regency_id"}).copy()
    assessors = sim["assessors"].rename(columns={"regency": "regency_id"}).copy()
    rng = np.random.default_rng([seed, 23])
    tails = spec.get("tails")
    n = len(units)
    added = (_errors(rng, spec.get("panel", 0.0), (n, 1), tails)
             + _errors(rng, spec.get("item", 0.0), (n, len(ITEMS)), tails))
    regencies = units["regency_id"].unique()
    per_regency = dict(zip(regencies, _errors(rng, spec.get("regency", 0.0), len(regencies), None)))
    per_year = dict(zip(sorted(units["year"].unique()), _errors(rng, spec.get("year", 0.0),
                                                                units["year"].nunique(), None)))
    added = added + units["regency_id"].map(per_regency).to_numpy()[:, None] \
        + units["year"].map(per_year).to_numpy()[:, None]
    key = pd.MultiIndex.from_frame(units[["regency_id", "year"]])
    rows = key.get_indexer(pd.MultiIndex.from_frame(assessors[["regency_id", "year"]]))
    assessors[ITEMS] = assessors[ITEMS].to_numpy(float) + added[rows]
    if spec.get("grid"):
        g = spec["grid"]
        assessors[PILLARS] = np.clip(np.round(assessors[PILLARS].to_numpy(float) * g) / g, 0, 4)
    # Panel means: pillars from the (rounded) assessor rows; dimensions and the index move by the panel's error.
    means = assessors.groupby(["regency_id", "year"])[PILLARS].mean()
    units[PILLARS] = means.reindex(key).to_numpy()
    units[DIMS] = units[DIMS].to_numpy(float) + added[:, len(PILLARS):]
    w = np.array([[sim["weights"][int(y)][d] for d in DIMS] for y in units["year"]])
    units["final_score"] = np.round(units["final_score"].to_numpy(float) + np.sum(w * added[:, len(PILLARS):],
                                                                                   axis=1), 2)
    # The shared error of an index (index scale): panel + items through the weights (+ the regency effect).
    w_mean = float(np.mean(np.sum(w ** 2, axis=1)))
    t_sd = np.sqrt(spec.get("panel", 0.0) ** 2 + spec.get("item", 0.0) ** 2 * w_mean + spec.get("regency", 0.0) ** 2)
    units["n_assessors"] = units["n_assessors"].where(units["year"].isin(ASSESSOR_YEARS), 0)
    return sim, units, assessors[assessors["year"].isin(ASSESSOR_YEARS)], float(t_sd)


def _inside(low, high, truth) -> np.ndarray:
    return (np.asarray(low) <= truth) & (truth <= np.asarray(high))


def run(seed: int, name: str, n_boot: int) -> dict:
    """Everything the reports quote on one simulated data set, scored against the truth."""
    sim, units, assessors, true_sd = shared_panels(seed, SCENARIOS[name])
    tidy = assessors.melt(id_vars=["regency_id", "year", "assessor"], value_vars=DIMS, var_name="dimension_key",
                          value_name="score")
    cov = dimension_error_cov(tidy)
    sizes, assumed = panel_sizes(units, assessors)
    own = panel_index_variance(units, cov, sizes)
    shared = shared_error_sd(units, own)
    truth = rank_scores(units.assign(_true=units["true_final_score"]), "_true").to_numpy()
    out = {"scenario": name, "seed": seed, "default sd": shared.sd, "true sd": true_sd}
    for label, sd in (("band, default size", shared.sd), ("band, true size", true_sd), ("band, none", 0.0)):
        model = RankModel(n_draws=N_BAND_DRAWS, seed=seed, weight_spread=0.0, assessor_scores=tidy,
                          panel_error_cov=cov, panel_size=assumed, shared_sd=sd)
        band = rank_uncertainty(units, model)
        out[label] = float(_inside(band["rank_p05"], band["rank_p95"], truth).mean())
    sets = rank_confidence_sets(units, own + shared.sd ** 2, seed=seed)
    out["marginal set"] = float(_inside(sets["set_marginal_low"], sets["set_marginal_high"], truth).mean())
    held = pd.Series(_inside(sets["set_simultaneous_low"], sets["set_simultaneous_high"], truth))
    out["simultaneous sets"] = float(held.groupby([units["year"], units["evaluation_group"]]).all().mean())
    out["marginal set width"] = float((sets["set_marginal_high"] - sets["set_marginal_low"] + 1).median())
    beta = pd.Series(sim["parameters"]["beta_k"])
    wide = assessor_table_from_wide(assessors, sim["weights"])
    lead = lead_drivers(units, wide, n_boot=n_boot, seed=seed).table
    for label, method in (("lead, quoted (widened)", BOUND_METHOD), ("lead, plain bootstrap", LEAD_METHOD)):
        t = lead[lead["method"] == method].set_index("pillar")
        out[label] = float(_inside(t["ci_low"], t["ci_high"], beta.reindex(t.index)).mean())
    return out


NOMINAL = {"band, default size": 0.90, "band, true size": 0.90, "band, none": 0.90, "marginal set": 0.95,
           "simultaneous sets": 0.95, "lead, quoted (widened)": 0.95, "lead, plain bootstrap": 0.95}


def main(n_seeds: int = 10, n_boot: int = 99) -> pd.DataFrame:
    start = time.perf_counter()
    rows = []
    for name in SCENARIOS:
        for seed in seeds(n_seeds):
            rows.append(run(seed, name, n_boot))
        print(f"  {name}: done ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    frame = pd.DataFrame(rows)
    print(f"SIMULATED data: {n_seeds} seeds per scenario (the example's seed {EXAMPLE_SEED} and 1 to "
          f"{n_seeds - 1}), {N_BAND_DRAWS} band draws, {n_boot} bootstrap draws of the lead, assessor rows kept for "
          f"{', '.join(map(str, ASSESSOR_YEARS))}; {time.perf_counter() - start:.0f} s")
    print("\nShare of true values inside what is quoted, % (Monte Carlo error: sd over seeds / sqrt(seeds));"
          " nominal in brackets")
    table = {}
    for col, nominal in NOMINAL.items():
        g = frame.groupby("scenario", sort=False)[col]
        mean, mc = 100 * g.mean(), 100 * g.std(ddof=1) / np.sqrt(g.count())
        table[f"{col} [{nominal:.0%}]"] = [f"{m:.1f} +- {e:.1f}" for m, e in zip(mean, mc)]
    out = pd.DataFrame(table, index=frame["scenario"].unique()).T
    with pd.option_context("display.width", 250, "display.max_colwidth", 40):
        print(out.to_string())
    sizes = frame.groupby("scenario", sort=False)[["default sd", "true sd", "marginal set width"]].mean()
    print("\nShared error of an index: the default from the data (upper bound) against the true size; median width"
          " of a marginal set (ranks)")
    print(sizes.round(3).to_string())
    print("\nWhat the pages claim, per scenario: the band at the default size holds at least 90 % (an upper bound on "
          "the shared error); the band at the true size holds 90 % within 2 points; the sets at least 95 %; the lead "
          "as quoted 95 % within 2 points (each allowing two Monte Carlo errors)")
    g = frame.groupby("scenario", sort=False)
    for name, part in g:
        mc = {c: part[c].std(ddof=1) / np.sqrt(len(part)) for c in NOMINAL}
        checks = {
            "band >= 90 %": part["band, default size"].mean() >= 0.90 - 2 * mc["band, default size"],
            "band at true size 90 +- 2": abs(part["band, true size"].mean() - 0.90) <= 0.02 + 2 * mc["band, true size"],
            "sets >= 95 %": part["marginal set"].mean() >= 0.95 - 2 * mc["marginal set"],
            "lead 95 +- 2": (abs(part["lead, quoted (widened)"].mean() - 0.95)
                             <= 0.02 + 2 * mc["lead, quoted (widened)"]),
        }
        print(f"  {name}: " + "; ".join(f"{k}: {'holds' if ok else 'DOES NOT HOLD'}" for k, ok in checks.items()))
    return frame


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
