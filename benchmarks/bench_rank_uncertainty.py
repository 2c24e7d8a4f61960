"""Speed of the rank-uncertainty Monte Carlo: vectorised against a per-draw pandas loop.

Builds a seeded synthetic table of 514 regencies (one year, one national
evaluation group, dimension scores on the 0 to 4 scale rounded to 2 decimals),
then times 10,000 weight draws with the vectorised implementation and the
naive loop. The naive loop runs on 500 draws only and its time is scaled
linearly to 10,000 (it is linear in the number of draws). Both are then run
on the same 500 draws with the same seed and their rank matrices compared.

Figures are printed, never asserted: timing depends on the machine.

Run: ``.venv/bin/python benchmarks/bench_rank_uncertainty.py``
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from smartcity_utils.analysis.index import dimension_keys
from smartcity_utils.analysis.rank_uncertainty import (
    rank_draws,
    rank_draws_naive,
    rank_uncertainty,
)

N_REGENCIES = 514
N_DRAWS = 10_000
N_DRAWS_NAIVE = 500
SEED = 2022
YEAR = 2022


def synthetic_table(n: int = N_REGENCIES, seed: int = SEED) -> pd.DataFrame:
    """A simulated ``regency_year`` slice: one row per regency for ``YEAR``."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "regency_id": np.arange(1, n + 1),
            "regency": [f"Simulated regency {i}" for i in range(1, n + 1)],
            "year": YEAR,
            "evaluation_group": "Nasional",
            "is_simulated": True,
        }
    )
    level = rng.normal(3.0, 0.3, n)  # a regency's general level, shared by its dimensions
    for key in dimension_keys():
        frame[key] = np.clip(np.round(level + rng.normal(0, 0.2, n), 2), 0, 4)
    return frame


def main() -> None:
    table = synthetic_table()
    print(f"synthetic table: {len(table)} regencies, year {YEAR} (simulated data)")

    rank_draws(table, n_draws=10, seed=SEED)  # warm-up: imports and first-call overheads
    start = time.perf_counter()
    summary = rank_uncertainty(table, n_draws=N_DRAWS, seed=SEED)
    t_vec = time.perf_counter() - start
    print(f"vectorised, {N_DRAWS:,} draws: {t_vec:.3f} s")

    start = time.perf_counter()
    _, naive = rank_draws_naive(table, n_draws=N_DRAWS_NAIVE, seed=SEED)
    t_naive = time.perf_counter() - start
    t_naive_scaled = t_naive * N_DRAWS / N_DRAWS_NAIVE
    print(f"naive loop, {N_DRAWS_NAIVE:,} draws: {t_naive:.3f} s "
          f"(scaled linearly to {N_DRAWS:,} draws: {t_naive_scaled:.1f} s)")
    print(f"ratio naive / vectorised at {N_DRAWS:,} draws: {t_naive_scaled / t_vec:.0f}x")

    _, fast = rank_draws(table, n_draws=N_DRAWS_NAIVE, seed=SEED)
    identical = bool(np.array_equal(fast, naive, equal_nan=True))
    print(f"common draws compared: the same {N_DRAWS_NAIVE:,} draws (seed {SEED}) in both implementations")
    print(f"identical: {identical}")

    top = summary.sort_values("rank_median").head(3)
    print("most stable leaders (rank_median, rank_p05, rank_p95, share_top10):")
    for row in top.itertuples():
        print(f"  {row.regency}: {row.rank_median:.0f}, {row.rank_p05:.0f}, {row.rank_p95:.0f}, "
              f"{row.share_top10:.2f}")


if __name__ == "__main__":
    main()
