"""The numbers of one regency's report: history, pillar position, gaps, Quick Wins, provenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from smartcity_utils import paths
from smartcity_utils import reference as ref
from smartcity_utils.analysis.ranks import percentile_among
from smartcity_utils.analysis.run import load_analysis, load_processed, processed_folder
from smartcity_utils.errors import UserError


@dataclass
class ReportContext:
    """The tables a report reads, loaded once."""

    index_ranks: pd.DataFrame
    rank_uncertainty: pd.DataFrame
    drivers: pd.DataFrame
    quick_wins: pd.DataFrame
    scores: pd.DataFrame
    manifest: pd.DataFrame
    published_facts: pd.DataFrame
    folder: Path

    @property
    def input_files(self) -> list[Path]:
        """The files a report reads (for the runner's skip-unchanged stamps)."""
        names = ["regency_year", "scores", "quick_wins", "manifest", "published_facts"]
        analysis = ["index_ranks", "rank_uncertainty", "drivers"]
        return ([self.folder / f"{n}.parquet" for n in names]
                + [paths.analysis_dir(self.folder) / f"{n}.parquet" for n in analysis])


def load_context(processed_dir: str | Path | None = None) -> ReportContext:
    """Load the processed tables and the cached analysis.

    Raises:
        FileNotFoundError: naming the command that creates a missing file.
    """
    folder = processed_folder(processed_dir)
    tables = load_processed(folder, ("scores", "quick_wins", "manifest", "published_facts"))
    analysis = load_analysis(folder, ("index_ranks", "rank_uncertainty", "drivers"))
    return ReportContext(analysis["index_ranks"], analysis["rank_uncertainty"], analysis["drivers"],
                         tables["quick_wins"], tables["scores"], tables["manifest"], tables["published_facts"],
                         folder)


def report_inputs(processed_dir: str | Path | None = None) -> list[Path]:
    """Input files of every report, without loading them."""
    folder = processed_folder(processed_dir)
    return ReportContext(*(None,) * 7, folder).input_files


def choose_year(ctx: ReportContext, regency_id: int, year: int | None) -> int:
    """The report year: the one asked for, else the regency's latest.

    Raises:
        ValueError: when the regency has no data, or none in ``year`` (naming the years it has).
    """
    years = sorted(ctx.index_ranks.loc[ctx.index_ranks["regency_id"] == regency_id, "year"].unique())
    if not years:
        raise UserError(f"regency {regency_id} has no evaluation data")
    if year in (None, 0, ""):
        return int(years[-1])
    if int(year) not in years:
        raise UserError(f"no data for year {year}; this regency has {[int(y) for y in years]}")
    return int(year)


def headline_history(ctx: ReportContext, regency_id: int) -> pd.DataFrame:
    """The headline index and rank per year, with the rank's uncertainty interval."""
    own = ctx.index_ranks[ctx.index_ranks["regency_id"] == regency_id]
    cols = ["year", "evaluation_group", "final_score", "final_score_source", "rank_computed", "rank_reported",
            "n_in_group", "percentile_year", "is_simulated"]
    unc = ctx.rank_uncertainty[ctx.rank_uncertainty["regency_id"] == regency_id]
    unc = unc[["year", "rank_median", "rank_p05", "rank_p95"]]
    return own[cols].merge(unc, on="year", how="left", validate="1:1").sort_values("year", ignore_index=True)


def pillar_position(index_ranks: pd.DataFrame, regency_id: int, year: int,
                    cohort_col: str = "cohort_year") -> pd.DataFrame:
    """Each pillar of the regency against its cohort and the nation in ``year``.

    Args:
        index_ranks: Regency-years with pillar scores (``ReportContext.index_ranks``
            or :func:`smartcity_utils.analysis.index_table`).
        regency_id: The regency.
        year: The year compared.
        cohort_col: Column defining the cohort (``cohort_year``, ``province``, ...).

    Returns:
        One row per pillar: ``pillar_key, pillar, score, cohort_median,
        cohort_best, national_median, gap_to_cohort_median, percentile_in_cohort``
        (share of other cohort members scoring lower, ties half, times 100).
    """
    year_rows = index_ranks[index_ranks["year"] == year]
    own = year_rows[year_rows["regency_id"] == regency_id].iloc[0]
    cohort = year_rows[year_rows[cohort_col] == own[cohort_col]]
    names = ref.pillars().set_index("pillar_key")["pillar"]
    rows = []
    for key in ref.PILLAR_KEYS:
        others = cohort.loc[cohort["regency_id"] != regency_id, key].dropna().to_numpy()
        score = own[key]
        pct = percentile_among(np.append(others, score), score) if pd.notna(score) else np.nan
        rows.append({"pillar_key": key, "pillar": names[key], "score": score,
                     "cohort_median": cohort[key].median(), "cohort_best": cohort[key].max(),
                     "national_median": year_rows[key].median(),
                     "gap_to_cohort_median": score - cohort[key].median(), "percentile_in_cohort": pct})
    return pd.DataFrame(rows)


def strengths_and_weaknesses(position: pd.DataFrame, n: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Up to ``n`` pillars above and up to ``n`` below the cohort median, furthest first."""
    ranked = position.dropna(subset=["gap_to_cohort_median"]).sort_values("gap_to_cohort_median")
    above = ranked[ranked["gap_to_cohort_median"] > 0]
    below = ranked[ranked["gap_to_cohort_median"] < 0]
    return above.tail(n)[::-1], below.head(n)


def gap_to_cohort_best(ctx: ReportContext, regency_id: int, year: int,
                       cohort_col: str = "cohort_year") -> pd.DataFrame:
    """How each pillar contributes to the gap from the cohort's best regency.

    Uses the national OLS slopes of the headline on the pillars (the driver
    model): ``contribution = slope x (best regency's pillar - own pillar)``.
    ``rank_if_closed`` is the rank the regency would hold in its evaluation
    group if that pillar alone reached the best regency's level and the
    headline moved by the model's slope: where effort would move the rank most.
    """
    year_rows = ctx.index_ranks[ctx.index_ranks["year"] == year]
    own = year_rows[year_rows["regency_id"] == regency_id].iloc[0]
    cohort = year_rows[(year_rows[cohort_col] == own[cohort_col]) & year_rows["final_score"].notna()]
    best = cohort.loc[cohort["final_score"].idxmax()]
    ols = ctx.drivers[ctx.drivers["method"] == "ols"].set_index("pillar")
    group = year_rows[year_rows["evaluation_group"] == own["evaluation_group"]]
    others = group.loc[group["regency_id"] != regency_id, "final_score"].dropna().to_numpy()
    names = ref.pillars().set_index("pillar_key")["pillar"]
    rows = []
    for key in ref.PILLAR_KEYS:
        slope = float(ols.at[key, "coef"]) if key in ols.index else np.nan
        gap = best[key] - own[key]
        gain = slope * max(gap, 0.0) if pd.notna(gap) else np.nan
        new_score = own["final_score"] + (gain if pd.notna(gain) else 0.0)
        rows.append({"pillar_key": key, "pillar": names[key], "own": own[key], "cohort_best_regency": best[key],
                     "gap": gap, "slope": slope, "contribution": slope * gap if pd.notna(gap) else np.nan,
                     "headline_gain_if_closed": gain, "rank_now": own["rank_computed"],
                     "rank_if_closed": int(1 + np.sum(np.round(others, 10) > round(new_score, 10)))})
    out = pd.DataFrame(rows).sort_values("headline_gain_if_closed", ascending=False, ignore_index=True)
    out.attrs["best_regency"] = best["regency"]
    out.attrs["headline_gap"] = best["final_score"] - own["final_score"]
    return out


def quick_wins_of(ctx: ReportContext, regency_id: int) -> pd.DataFrame:
    """The regency's Quick Win programmes and their four scores."""
    qw = ctx.quick_wins[ctx.quick_wins["regency_id"] == regency_id]
    cols = ["year", "pillar_key", "programme_name", "score_output", "score_outcome", "score_impact",
            "score_sustainability", "is_simulated"]
    return qw[cols].sort_values(["year", "pillar_key"], ignore_index=True)


def provenance(ctx: ReportContext, regency_id: int) -> pd.DataFrame:
    """Which raw files the regency's numbers came from, with their hashes."""
    own = ctx.scores[ctx.scores["regency_id"] == regency_id]
    qw = ctx.quick_wins[ctx.quick_wins["regency_id"] == regency_id].assign(layout="quick_wins")
    used = pd.concat([own[["source_file", "layout", "year", "is_simulated"]],
                      qw[["source_file", "layout", "year", "is_simulated"]]])
    summary = used.groupby(["source_file", "layout"]).agg(
        years=("year", lambda s: ", ".join(str(y) for y in sorted(set(s)))), values=("year", "size"),
        is_simulated=("is_simulated", "any")).reset_index()
    return summary.merge(ctx.manifest[["source_file", "sha256"]], on="source_file", how="left",
                         validate="1:1").assign(sha256=lambda d: d["sha256"].str[:12])


def published_for(ctx: ReportContext, regency_id: int) -> pd.DataFrame:
    """The real published figures about this regency, with their sources."""
    facts = ctx.published_facts
    return facts[facts["regency_id"] == regency_id][["index", "year", "metric", "value", "rank", "rank_of",
                                                     "source_url"]]


def headline_figures(history: pd.DataFrame, year: int) -> dict[str, object]:
    """The figures shown in the report index for ``year``."""
    row = history[history["year"] == year].iloc[0]

    def _num(value, kind=float):
        return None if pd.isna(value) else kind(value)

    # "simulated" is the key the report index turns into its simulated-data badge.
    return {"year": int(year), "final_score": _num(round(row["final_score"], 2)),
            "rank": _num(row["rank_computed"], int), "n_in_group": _num(row["n_in_group"], int),
            "rank_p05": _num(row["rank_p05"], lambda v: int(round(v))),
            "rank_p95": _num(row["rank_p95"], lambda v: int(round(v))),
            "evaluation_group": str(row["evaluation_group"]), "simulated": bool(row["is_simulated"])}
