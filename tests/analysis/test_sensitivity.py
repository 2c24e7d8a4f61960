"""Known-truth checks of the Sobol sensitivity of the ranking, on data simulated here."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from smartcity_utils.analysis.sensitivity import sobol_rank_sensitivity

DIMS = ["baseline", "output", "outcome", "impact", "quick_wins"]
WEIGHTS = {"baseline": 0.1, "output": 0.2, "outcome": 0.3, "impact": 0.2, "quick_wins": 0.2}
NOISE = 0.05  # slack for SALib's estimator noise around [0, 1]


def scores_two_dimensions(n=200, seed=0):
    """Units differ only in baseline and outcome; the other dimensions are constant."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(2.0, index=range(n), columns=DIMS)
    frame["baseline"] = rng.uniform(0, 4, n)
    frame["outcome"] = rng.uniform(0, 4, n)
    return frame


def test_only_the_weight_that_matters_has_the_largest_total_index():
    # the ranking depends on w_baseline / w_outcome only; +/-0.05 moves w_baseline by 50 %
    # and w_outcome by 17 %, so w_baseline dominates; constant dimensions cannot move ranks
    out = sobol_rank_sensitivity(scores_two_dimensions(), WEIGHTS, 0.05, n_base=256,
                                 aggregations=("arithmetic",)).set_index("input")
    assert out["ST"].idxmax() == "w_baseline"
    assert out.loc["w_baseline", "ST"] > 0.5
    for dim in ("output", "impact", "quick_wins"):
        assert out.loc[f"w_{dim}", "ST"] == pytest.approx(0.0, abs=1e-9)
    assert "aggregation" not in out.index


@pytest.mark.parametrize("groups", [pytest.param(None, id="pooled"),
                                    pytest.param("group", id="within-group")])
def test_indices_are_shares_and_steps_are_recorded(groups):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.uniform(0.5, 4, (300, 5)), columns=DIMS)
    frame["group"] = rng.choice(["kota", "kabupaten", "provinsi"], 300, p=[0.2, 0.7, 0.1])
    out = sobol_rank_sensitivity(frame, WEIGHTS, 0.05, n_base=256, groups=groups)
    assert list(out["input"]) == [f"w_{d}" for d in DIMS] + ["aggregation"]
    for col in ("S1", "ST"):
        assert out[col].between(-NOISE, 1 + NOISE).all()
    assert (out["ST"] >= out["S1"] - NOISE).all()
    assert (out["ST_conf"] >= 0).all()
    assert out.attrs["n_runs"] == 256 * (6 + 2)
    assert any("SALib.analyze.sobol.analyze" in s for s in out.attrs["steps"])
    assert 0 <= out.attrs["output_mean"] <= 100


def test_missing_salib_raises_import_error_with_hint(monkeypatch):
    for name in ("SALib", "SALib.sample", "SALib.sample.sobol", "SALib.analyze",
                 "SALib.analyze.sobol"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match="salib==1.6.0"):
        sobol_rank_sensitivity(scores_two_dimensions(), WEIGHTS, 0.05, n_base=8)


@pytest.mark.parametrize("kwargs", [
    pytest.param({"aggregations": ("arithmetic", "harmonic")}, id="unknown-aggregation"),
    pytest.param({"spread": 0.0}, id="zero-spread"),
])
def test_bad_arguments_raise(kwargs):
    args = {"spread": 0.05, **kwargs}
    with pytest.raises(ValueError):
        sobol_rank_sensitivity(scores_two_dimensions(), WEIGHTS, n_base=8, **args)


def test_dirichlet_weights_only_the_weights_that_move_ranks_have_total_effect():
    # Input: units differ in baseline and outcome only; weights drawn from the Dirichlet of the rank bands.
    # Expected: the other weights' Gamma components only rescale the index (no rank moves): total index 0.
    from smartcity_utils.analysis.rank_uncertainty import WEIGHT_SPREAD, dirichlet_concentration

    c = dirichlet_concentration(WEIGHT_SPREAD, len(DIMS))
    out = sobol_rank_sensitivity(scores_two_dimensions(), WEIGHTS, 0.0, n_base=512, aggregations=("arithmetic",),
                                 weight_model="dirichlet", concentration=c).set_index("input")
    for dim in ("output", "impact", "quick_wins"):
        assert out.loc[f"w_{dim}", "ST"] == pytest.approx(0.0, abs=1e-9)
    assert out.loc["w_baseline", "ST"] > 0.2 and out.loc["w_outcome", "ST"] > 0.2
    assert "percentile rank" in out.attrs["output"]
    top, second = out.sort_values("S1", ascending=False).iloc[:2].itertuples()
    assert out.attrs["top_resolved"] == bool(top.S1_ci_low > second.S1_ci_high)
    with pytest.raises(ValueError, match="concentration"):
        sobol_rank_sensitivity(scores_two_dimensions(), WEIGHTS, 0.0, n_base=8, weight_model="dirichlet")
