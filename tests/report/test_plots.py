"""Tests of the figures: the simulated-data marker and saving to PNG."""

from __future__ import annotations

import base64
from urllib.parse import quote

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from smartcity_utils.analysis.cohorts import cohort_trajectories
from smartcity_utils.report import figures, plots
from smartcity_utils.report.texts import text

MARKER = text("en", "marker")
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
        "headline_history": plots.headline_history(_history(), simulated=simulated),
    }


def _history() -> pd.DataFrame:
    # 2021 has no index (a rejected row): the line must break there, not bridge 2020 to 2022.
    return pd.DataFrame({"year": [2020, 2022, 2023], "final_score": [2.9, 3.1, 3.2], "rank_computed": [8, 37, 49],
                         "n_in_group": [37, 130, 270], "percentile_in_group": [80.6, 72.1, 82.2],
                         "percentile_low": [47.2, 49.6, np.nan], "percentile_high": [86.1, 91.5, np.nan]})


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.texts]


@pytest.mark.parametrize("simulated", [True, False])
def test_marker_present_only_when_simulated_and_png_saves(tmp_path, simulated):
    for name, fig in _figures(simulated).items():
        assert isinstance(fig, Figure)
        assert (MARKER in _texts(fig)) is simulated, name
        path = tmp_path / f"{name}_{simulated}.png"
        fig.savefig(path, dpi=60)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_marker_wording_and_idempotence():
    assert MARKER == "SIMULATED DATA — not official scores"
    fig = Figure()
    figures.mark_simulated(fig, "en")
    n = len(fig.texts)
    figures.mark_simulated(fig, "en")
    assert len(fig.texts) == n
    assert MARKER in _texts(fig)
    assert text("id", "marker") in _texts(figures.mark_simulated(Figure(), "id"))


@pytest.mark.parametrize("size", [pytest.param((8, 3.4), id="history"), pytest.param((5, 3.4), id="narrow"),
                                  pytest.param((6.2, 3.6), id="driver_panels"), pytest.param((3, 2), id="small")])
def test_watermark_stays_inside_the_figure(size):
    # Drawn and measured: the rotated watermark's box lies inside the figure on every side.
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    figures.mark_simulated(fig, "id")
    mark = next(t for t in fig.texts if t.get_rotation() != 0)
    box = mark.get_window_extent(fig.canvas.get_renderer())
    assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height, (box, fig.bbox)


def test_a_long_regency_name_wraps_the_title_and_keeps_the_legend_off_the_markers():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    name = "Kabupaten Kepulauan Siau Tagulandang Biaro"
    row = dict(zip(PILLARS, [0.4, 0.6, 0.5, 0.7, 0.3, 0.5]), regency=name)  # low scores: where a legend sat
    fig = plots.pillar_profile(row, dict.fromkeys(PILLARS, 0.6), dict.fromkeys(PILLARS, 0.7),
                               title=f"{name} 2024: pillars against Cohort 2019", lang="en")
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    title = fig._suptitle
    assert "\n" in title.get_text().strip()  # wrapped onto a second line
    box = title.get_window_extent(renderer)
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width
    axes_box = fig.axes[0].get_window_extent(renderer)
    legend_box = fig.legends[0].get_window_extent(renderer)
    assert legend_box.y1 <= axes_box.y0  # the legend sits below the chart, not on it


def test_axes_are_numbered_in_the_page_language():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    row = dict(zip(PILLARS, [2.5] * 6))
    for lang, half in (("id", "0,5"), ("en", "0.5")):
        fig = plots.pillar_profile(row, row, title="t", lang=lang, simulated=False)
        FigureCanvasAgg(fig)
        fig.canvas.draw()
        ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
        assert half in ticks and ("2,0" if lang == "id" else "2.0") in ticks, ticks


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
    png = figures._png(_figures(False)["profile"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_headline_history_breaks_at_missing_years_and_labels_rank_of_n():
    fig = plots.headline_history(_history(), simulated=False)
    ax_score, ax_pct = fig.axes
    years = list(ax_score.lines[0].get_xdata())
    scores = ax_score.lines[0].get_ydata()
    assert years == [2020, 2021, 2022, 2023]
    assert np.isnan(scores[1]) and scores[2] == pytest.approx(3.1)
    # The position panel shows percentiles (not ranks of groups of different sizes), labelled "rank/N".
    assert [t.get_text() for t in ax_pct.texts] == ["8/37", "37/130", "49/270"]
    assert ax_pct.get_ylim()[1] <= 110


@pytest.mark.parametrize("lang, other", [("id", "en"), ("en", "id")])
def test_report_figures_speak_the_report_language(lang, other):
    from smartcity_utils.report.texts import texts

    table = _table()
    figures = [plots.headline_history(_history(), title="T", lang=lang),
               plots.pillar_profile(table.iloc[0], table[PILLARS].median(), national_median=table[PILLARS].median(),
                                    lang=lang),
               plots.compare_history({"A": _history()}, lang=lang),
               plots.compare_profiles(table.set_index("regency")[PILLARS].head(2), lang=lang)]
    own = texts()[lang]
    foreign = {v for k, v in texts()[other].items() if k.startswith(("fig_", "marker")) and v != own[k]
               and "{" not in v}
    for fig in figures:
        shown = _all_texts(fig)
        assert own["marker"] in shown
        assert own["fig_year_axis"] in shown or own["fig_pillar_axis"] in shown
        assert not foreign & set(shown), foreign & set(shown)


def _all_texts(fig: Figure) -> list[str]:
    out = [t.get_text() for t in fig.texts] + [fig.get_suptitle()]
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels()]
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    for legend in fig.legends:
        out += [t.get_text() for t in legend.get_texts()]
    return [t.strip() for t in out if t and t.strip()]


def test_embedded_figure_is_the_smaller_format_with_an_alt_text():
    fig = plots.headline_history(_history(), title="Paser", lang="en")
    shown = figures.embed(fig)
    svg_len = len(quote(figures._svg(fig).decode("utf-8"), safe=" =:/;,.-_()'!*+?@~"))
    png_len = len(base64.b64encode(figures._compressed_png(fig)))
    assert shown.format == ("svg" if svg_len <= png_len else "png")
    assert len(shown.uri) <= min(svg_len, png_len) + len("data:image/svg+xml;base64,")
    html = shown._repr_html_()
    assert html.count("<img ") == 1 and f'data:image/{"svg+xml" if shown.format == "svg" else "png"}' in html
    # The alt text is built from the figure's own title, axes and stamp, never a placeholder.
    assert "Paser" in shown.alt and "index (0 to 4)" in shown.alt and MARKER in shown.alt
    assert "No description" not in html
    assert len(shown.uri) < 120_000  # a figure stays small enough for a report under 400 KB
    custom = figures.embed(fig, alt="Two charts")
    assert 'alt="Two charts"' in custom._repr_html_()


def test_trajectories_break_focus_lines_at_missing_years_and_label_the_legend():
    traj = cohort_trajectories(_table(), "smart_economy")
    focus = {"Kukar": pd.Series({2019: 2.9, 2021: 2.9, 2022: 3.4}), "Paser": pd.Series({2022: 2.9, 2023: 3.2})}
    fig = plots.trajectories(traj, focus=focus, simulated=False)
    ax = fig.axes[0]
    kukar = next(line for line in ax.lines if line.get_label() == "Kukar")
    paser = next(line for line in ax.lines if line.get_label() == "Paser")
    assert list(kukar.get_xdata()) == [2019, 2020, 2021, 2022] and np.isnan(kukar.get_ydata()[1])
    assert kukar.get_color() != paser.get_color() and kukar.get_marker() != paser.get_marker()
    assert fig.legends[0].get_title().get_text() == "Cohort"  # not the column name cohort_year


def test_distributions_stamp_the_simulated_marker_in_the_report_language():
    from smartcity_utils.report.texts import texts

    fig = plots.distributions(_table(), measures=["smart_living"], simulated=True, lang="id")
    shown = _all_texts(fig)
    assert texts()["id"]["marker"] in shown and texts()["en"]["marker"] not in shown


def test_headline_history_draws_real_points_filled_and_simulated_ones_hollow_with_a_legend():
    history = _history().assign(is_simulated=[False, True, True])  # the first year from files marked real
    fig = plots.headline_history(history, simulated=True, lang="en")
    ax_score = fig.axes[0]
    real, simulated = ax_score.collections[:2]
    assert real.get_label() == text("en", "fig_point_real") and len(real.get_offsets()) == 1
    assert simulated.get_label() == text("en", "fig_point_simulated") and len(simulated.get_offsets()) == 2
    assert tuple(simulated.get_facecolor()[0][:3]) == (1.0, 1.0, 1.0)  # hollow
    assert tuple(real.get_facecolor()[0][:3]) != (1.0, 1.0, 1.0)  # filled
    labels = [t.get_text() for t in ax_score.get_legend().get_texts()]
    assert labels == [text("en", "fig_point_real"), text("en", "fig_point_simulated")]
    stamps = {t.get_text() for t in fig.texts}
    assert text("en", "marker_partly") in stamps and MARKER not in stamps  # a partly real chart says so
    only_simulated = plots.headline_history(_history().assign(is_simulated=True), simulated=True, lang="en")
    assert only_simulated.axes[0].get_legend() is None and MARKER in {t.get_text() for t in only_simulated.texts}


def test_trajectories_draw_a_focus_regency_s_real_year_filled_and_name_it_in_the_legend():
    traj = cohort_trajectories(_table(), "smart_economy")
    focus = {"Paser": pd.Series([2.88, 3.16], index=[2022, 2023])}
    fig = plots.trajectories(traj, focus=focus, focus_real={"Paser": pd.Series([True, False], index=[2022, 2023])},
                             title="Index", simulated=True, lang="en")
    ax = fig.axes[0]
    filled = [line for line in ax.lines if line.get_linestyle() == "None" and len(line.get_xdata())]
    assert len(filled) == 1 and list(filled[0].get_xdata()) == [2022]  # only the real year drawn filled
    paser = next(line for line in ax.lines if line.get_label() == "Paser")
    assert paser.get_markerfacecolor() == "white"  # the simulated year hollow
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert text("en", "fig_point_real") in labels and text("en", "fig_point_simulated") in labels
    assert text("en", "marker_partly") in {t.get_text() for t in fig.texts}
