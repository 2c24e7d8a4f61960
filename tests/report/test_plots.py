"""Tests of the figures: the simulated-data marker and saving to PNG."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from smartcity_utils.analysis.cohorts import cohort_trajectories
from smartcity_utils.report import plots

PILLARS = ["smart_governance", "smart_branding", "smart_economy",
           "smart_living", "smart_society", "smart_environment"]


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for year in (2022, 2023):
        for i in range(12):
            row = {"regency_id": i, "regency": f"R{i}", "year": year, "cohort_year": (2017, 2021, 2022)[i % 3]}
            row["years_in_programme"] = year - row["cohort_year"]
            row.update({p: float(np.clip(rng.normal(3, 0.4), 0, 4)) for p in PILLARS})
            rows.append(row)
    return pd.DataFrame(rows)


def _figures(simulated: bool) -> dict[str, Figure]:
    df = _table()
    focus = df.iloc[0]
    median = df[PILLARS].median()
    traj = cohort_trajectories(df, "smart_economy")
    focus_series = df[df["regency_id"] == 0].set_index("year")["smart_economy"]
    return {
        "profile": plots.pillar_profile(focus, median, national_median=median + 0.1,
                                        title="Pillar profile", simulated=simulated),
        "trajectories": plots.trajectories(traj, focus={"R0": focus_series}, title="Economy",
                                           simulated=simulated),
        "distributions": plots.distributions(df, year=2023, highlight_ids=[0], title="Pillars",
                                             simulated=simulated),
        "driver_estimates": plots.driver_estimates(
            pd.DataFrame({"pillar": PILLARS * 2, "method": ["ols"] * 6 + ["leave_one_out"] * 6,
                          "estimate": np.linspace(0.1, 0.6, 12), "ci_low": [0.0] * 6 + [np.nan] * 6,
                          "ci_high": [0.7] * 6 + [np.nan] * 6}), simulated=simulated),
        "headline_history": plots.headline_history(
            pd.DataFrame({"year": [2022, 2023, 2024], "final_score": [2.9, 3.1, 3.2], "rank_computed": [8, 5, 9],
                          "rank_p05": [6, 3, np.nan], "rank_p95": [12, 9, np.nan]}), simulated=simulated),
    }


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.texts]


@pytest.mark.parametrize("simulated", [True, False])
def test_marker_present_only_when_simulated_and_png_saves(tmp_path, simulated):
    for name, fig in _figures(simulated).items():
        assert isinstance(fig, Figure)
        assert (plots.SIMULATED_MARKER in _texts(fig)) is simulated, name
        path = tmp_path / f"{name}_{simulated}.png"
        fig.savefig(path, dpi=60)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_marker_wording_and_idempotence():
    assert plots.SIMULATED_MARKER == "SIMULATED DATA — not official scores"
    fig = Figure()
    plots.mark_simulated(fig)
    n = len(fig.texts)
    plots.mark_simulated(fig)
    assert len(fig.texts) == n
    assert plots.SIMULATED_MARKER in _texts(fig)


def test_distributions_any_cohort_column_and_subset_of_measures(tmp_path):
    df = _table().assign(province=lambda d: np.where(d["regency_id"] < 6, "Kalimantan Timur", "Jawa Timur"))
    fig = plots.distributions(df, measures=["smart_living", "smart_society"], cohort_col="province",
                              simulated=True)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 2
    assert [t.get_text() for t in visible[0].get_xticklabels()] == ["Jawa Timur", "Kalimantan Timur"]
    fig.savefig(tmp_path / "dist.png", dpi=50)


def test_driver_estimates_has_one_panel_per_method():
    table = pd.DataFrame({"pillar": PILLARS * 3, "method": ["ols"] * 6 + ["dominance"] * 6 + ["mixed"] * 6,
                          "estimate": 0.2, "ci_low": 0.1, "ci_high": 0.3})
    fig = plots.driver_estimates(table, simulated=False)
    assert [ax.get_title() for ax in fig.axes] == ["ols", "dominance", "mixed"]


def test_figures_display_as_png_in_a_kernel():
    # Inside IPython the module registers a PNG formatter for Figure objects.
    png = plots._png(_figures(False)["profile"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
