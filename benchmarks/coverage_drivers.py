"""Coverage of the true driver weights by the lead method's intervals and by naive OLS, over simulator seeds.

For each seed the simulator (``smartcity_simulator.simulate_panels``: the
bundled example's generating model, with assessor leniency and halo, the
published figures and the panel refit, without writing files) gives panel
means for every regency-year and assessor-level scores for the years that
have them in the bundled data (2022 to 2024). Both methods then run as
``smartcity analyse`` runs them:

* lead: errors-in-variables regression (``analysis.drivers.lead``), 95 %
  percentile bootstrap over regencies;
* naive (before): OLS on panel means with year effects and standard errors
  clustered by regency (``analysis.drivers.ols``).

It prints, per pillar, the share of seeds whose interval contains the true
``beta_k``, the mean estimate and the mean interval width. It asserts
nothing. Run: ``.venv/bin/python benchmarks/coverage_drivers.py [n_seeds]``
(default 40 seeds, about a minute).
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from smartcity_simulator import simulate_panels
from smartcity_utils.analysis.drivers.lead import assessor_table_from_wide, lead_drivers
from smartcity_utils.analysis.drivers.ols import ols_as_estimates, ols_drivers
from smartcity_utils.reference import PILLAR_KEYS

#: Years whose assessor-level rows the bundled example has (assessor workbooks 2022-2023, form 2024).
ASSESSOR_YEARS = (2022, 2023, 2024)
N_BOOT = 399


def one_seed(seed: int, n_boot: int = N_BOOT) -> pd.DataFrame:
    """Estimates and intervals of both methods on one simulated data set, beside the truth."""
    sim = simulate_panels(seed=seed)
    units = sim["units"].rename(columns={"regency": "regency_id"})
    assessors = sim["assessors"].rename(columns={"regency": "regency_id"})
    assessors = assessors[assessors["year"].isin(ASSESSOR_YEARS)]
    units["n_assessors"] = units["n_assessors"].where(units["year"].isin(ASSESSOR_YEARS), 0)
    wide = assessor_table_from_wide(assessors, sim["weights"])
    lead = lead_drivers(units, wide, n_boot=n_boot, seed=seed).table
    lead = lead[lead["method"] == "eiv"][["pillar", "estimate", "ci_low", "ci_high"]].assign(method="lead (EIV)")
    ols = ols_drivers(units, "final_score", list(PILLAR_KEYS), year_col="year", cluster_col="regency_id").table
    ols = ols_as_estimates(ols).assign(method="naive OLS")
    out = pd.concat([lead, ols], ignore_index=True)
    out["truth"] = out["pillar"].map(sim["parameters"]["beta_k"])
    out["seed"] = seed
    return out


def main(n_seeds: int = 40) -> pd.DataFrame:
    """Runs ``n_seeds`` seeds and prints coverage per method and pillar."""
    start = time.perf_counter()
    rows = pd.concat([one_seed(seed) for seed in range(1, n_seeds + 1)], ignore_index=True)
    rows["covered"] = (rows["ci_low"] <= rows["truth"]) & (rows["truth"] <= rows["ci_high"])
    rows["width"] = rows["ci_high"] - rows["ci_low"]
    table = rows.groupby(["method", "pillar"], sort=False).agg(
        truth=("truth", "first"), mean_estimate=("estimate", "mean"), coverage=("covered", "mean"),
        mean_width=("width", "mean"))
    print(f"Coverage of the true beta_k by 95 % intervals over {n_seeds} simulator seeds "
          f"(SIMULATED data; {time.perf_counter() - start:.0f} s)")
    print(table.round(3).to_string())
    print(rows.groupby("method", sort=False)["covered"].mean().rename("coverage, all pillars").round(3).to_string())
    return table


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
