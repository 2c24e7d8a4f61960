"""Several regencies side by side: index and position over the years, pillar profiles, Quick Wins.

The numbers behind ``notebooks/11_compare_regencies.ipynb`` (``smartcity
report --compare Kukar Paser Kotim``). Positions are percentiles within each
regency's own evaluation group, shown with "rank r of N", for the reason given
in :func:`smartcity_utils.report.plots.headline_history`.
"""

from __future__ import annotations

import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.errors import UserError
from smartcity_utils.regencies import regency_resolver, resolve_regencies
from smartcity_utils.report import profile
from smartcity_utils.report.tables import (
    MISSING,
    ReaderTable,
    fmt_int,
    fmt_pct,
    fmt_score,
    fmt_signed,
    group_label,
    reader_table,
)
from smartcity_utils.report.texts import heading, paragraph, text


def names_of(ctx: profile.ReportContext | None, regency_ids: list[int]) -> dict[int, str]:
    """Canonical names of the regencies (from the gazetteer), in the order given."""
    resolver = regency_resolver()
    return {int(i): resolver.name(int(i)) for i in regency_ids}


def setup(data: profile.ReportContext | pd.DataFrame, regencies: list[str],
          year: int | None = None) -> tuple[list[int], dict[int, str], int]:
    """The regencies and the year of a comparison, checked once.

    Args:
        data: The report context, or any table with ``regency_id`` and ``year``
            (``regency_year``), and ``final_score`` when it has an index.
        regencies: Names, aliases or codes as given, two or more different regencies.
        year: The year compared; None: the latest year in which one of them has an index.

    Returns:
        ``(regency ids, {id: canonical name}, year)``.

    Raises:
        UserError: an unknown name, fewer than two different regencies, one
            without evaluation data, or a year without data.
    """
    rows = data.index_ranks if isinstance(data, profile.ReportContext) else data
    given = resolve_regencies(list(regencies))
    ids = list(dict.fromkeys(given))
    if len(ids) < 2:
        raise UserError(f"a comparison needs at least two different regencies, got {list(regencies)}")
    have = set(rows["regency_id"])
    missing = [n for n, i in zip(regencies, given) if i not in have]
    if missing:
        raise UserError(f"no evaluation data for: {', '.join(missing)}")
    own = rows[rows["regency_id"].isin(ids)]
    if year in (None, 0, ""):
        indexed = own.dropna(subset=["final_score"]) if "final_score" in own.columns else own
        year = int((indexed if len(indexed) else own)["year"].max())
    elif int(year) not in set(rows["year"]):
        raise UserError(f"no data for year {year}; years with data: {sorted(int(y) for y in rows['year'].unique())}")
    return ids, names_of(None, ids), int(year)


def page_simulated(ctx: profile.ReportContext, histories_by_name: dict[str, pd.DataFrame], year: int) -> bool:
    """Whether a comparison shows simulated numbers: in any history, or among the regencies ranked with them.

    Ranks and percentiles of every year shown, and of ``year``, come from all
    the regencies of that year, so a simulated one among them makes the page simulated.
    """
    years = {int(year)} | {int(y) for h in histories_by_name.values() for y in h["year"]}
    shown = ctx.index_ranks[ctx.index_ranks["year"].isin(years)]
    return (any(bool(h["is_simulated"].astype(bool).any()) for h in histories_by_name.values())
            or bool(shown["is_simulated"].astype(bool).any()))


def histories(ctx: profile.ReportContext, regency_ids: list[int]) -> dict[str, pd.DataFrame]:
    """``{name: headline history}`` of each regency."""
    return {name: profile.headline_history(ctx, rid) for rid, name in names_of(ctx, regency_ids).items()}


def history_table(histories_by_name: dict[str, pd.DataFrame], lang: str) -> ReaderTable:
    """Year by regency: index, and rank of N with the percentile in the group, in one cell per regency."""
    found = {int(y) for h in histories_by_name.values() for y in h.dropna(subset=["final_score"])["year"]}
    years = list(range(min(found), max(found) + 1)) if found else []  # a year without any index shows as "-"
    frame = pd.DataFrame({"year": years})
    columns: dict[str, object] = {"year": "year"}
    labels = {}
    for i, (name, history) in enumerate(histories_by_name.items()):
        by_year = history.set_index("year")
        cells = []
        for year in years:
            if year not in by_year.index or pd.isna(by_year.at[year, "final_score"]):
                cells.append(MISSING)
                continue
            cells.append(" · ".join([fmt_score(by_year.at[year, "final_score"]),
                                     *rank_phrases(by_year.loc[year], lang)]))
        frame[f"r{i}"] = cells
        columns[f"r{i}"] = "text"
        labels[f"r{i}"] = name
    return reader_table(frame, columns, lang, labels=labels)


def rank_phrases(row: pd.Series, lang: str) -> list[str]:
    """A year's ranks in a comparison cell: the one computed in a group held whole (with the percentile),
    and the published one with its group; nothing when neither exists."""
    from smartcity_utils.report.narrative import published_rank_text

    out = []
    if pd.notna(row.get("rank_computed")):
        out.append(text(lang, "compare_rank_computed", rank=text(lang, "rank_of", rank=fmt_int(row["rank_computed"]),
                                                                   n=fmt_int(row["n_in_group"])),
                        pct=fmt_pct(row["percentile_in_group"])))
    published = published_rank_text(row, lang)
    if published:
        out.append(text(lang, "compare_rank_published", rank=published))
    return out


def pillar_scores(ctx: profile.ReportContext, regency_ids: list[int], year: int) -> pd.DataFrame:
    """Pillar scores of each regency with any, in ``year`` or its latest year before with pillar scores.

    One row per regency, labelled with its name, and with the year in brackets
    when that year is not ``year`` (a letter of an earlier year).
    """
    rows = {}
    pillars = list(ref.PILLAR_KEYS)
    for rid, name in names_of(ctx, regency_ids).items():
        own = ctx.index_ranks[(ctx.index_ranks["regency_id"] == rid) & (ctx.index_ranks["year"] <= year)]
        own = own[own[pillars].notna().any(axis=1)]
        if len(own):
            latest = own.sort_values("year").iloc[-1]
            label = name if int(latest["year"]) == int(year) else f"{name} ({int(latest['year'])})"
            rows[label] = latest[pillars].astype(float)
    return pd.DataFrame(rows, index=pillars).T


def pillar_table(scores: pd.DataFrame, lang: str) -> ReaderTable:
    """Pillars by regency, 2 decimals."""
    names = ref.pillar_names()
    frame = scores.T.reset_index(names="pillar_key")
    frame.insert(0, "pillar", frame["pillar_key"].map(names))
    cols = {f"r{i}": n for i, n in enumerate(scores.index)}
    frame = frame.rename(columns={n: c for c, n in cols.items()})
    return reader_table(frame, {"pillar": "text", **dict.fromkeys(cols, "score")}, lang, labels=cols)


def quick_wins_table(ctx: profile.ReportContext, regency_ids: list[int], lang: str) -> ReaderTable:
    """The Quick Win programmes of each regency's latest year with any, and the mean of their four scores."""
    parts = []
    for rid, name in names_of(ctx, regency_ids).items():
        qw = profile.quick_wins_of(ctx, rid)
        if len(qw):
            latest = qw[qw["year"] == qw["year"].max()]
            parts.append(latest.assign(regency=name))
    if not parts:
        frame = pd.DataFrame(columns=["regency", "year", "pillar", "programme_name", "quick_win_score"])
    else:
        frame = pd.concat(parts, ignore_index=True)
        frame["quick_win_score"] = frame[["score_output", "score_outcome", "score_impact",
                                          "score_sustainability"]].mean(axis=1, skipna=False)
    return reader_table(frame, {"regency": "text", "year": "year", "pillar": "text",
                                "programme_name": ("text", "col_programme"), "quick_win_score": "score"}, lang)


def profiles_section(scores: pd.DataFrame, year: int, names: str, simulated: bool, lang: str) -> list[object]:
    """The pillar profiles side by side (figure and table), or one sentence when no regency has pillar scores."""
    from smartcity_utils.report import figures, plots

    blocks: list[object] = [heading(text(lang, "compare_profiles", year=year))]
    if scores.empty:
        return blocks + [paragraph(text(lang, "compare_no_pillars", year=year))]
    figure = plots.compare_profiles(scores, title=text(lang, "fig_compare_profile_title", year=year),
                                    simulated=simulated, lang=lang)
    return blocks + [figures.embed(figure, alt=text(lang, "alt_compare_profile", names=names, year=year)),
                     pillar_table(scores, lang)]


def quick_wins_section(ctx: profile.ReportContext, regency_ids: list[int], lang: str) -> object:
    """The Quick Win table, or one sentence when none of the regencies has a programme registered."""
    table = quick_wins_table(ctx, regency_ids, lang)
    return table if len(table) else paragraph(text(lang, "compare_no_quick_wins"))


def summary_sentences(histories_by_name: dict[str, pd.DataFrame], year: int, lang: str) -> list[str]:
    """One sentence per regency: index, rank of N and percentile in ``year``, and the change since its previous index."""
    out = []
    for name, history in histories_by_name.items():
        now = history.dropna(subset=["final_score"])
        now = now[now["year"] == year]
        if now.empty:
            out.append(text(lang, "compare_no_index", name=name, year=year))
            continue
        row = now.iloc[0]
        prev, delta = profile.previous_index(history, year)
        if prev is None:
            change = text(lang, "compare_change_none")
        else:
            change = text(lang, "compare_change", delta=fmt_signed(delta), prev_year=int(prev["year"]))
        ranks = "; ".join(rank_phrases(row, lang)) or text(lang, "compare_no_rank")
        out.append(text(lang, "compare_summary_item", name=name, year=year, score=fmt_score(row["final_score"]),
                        ranks=ranks, change=change))
    return out


def notes(ctx: profile.ReportContext, regency_ids: list[int], histories_by_name: dict[str, pd.DataFrame],
          lang: str) -> list[str]:
    """Notes under the history table: years ranked in a group other than the national one, and rejected rows."""
    groups = []
    for name, history in histories_by_name.items():
        for row in history.dropna(subset=["final_score", "rank_computed"]).itertuples():
            if str(row.evaluation_group).strip().lower() != "nasional":
                groups.append((int(row.year), text(lang, "compare_group_item", year=int(row.year), name=name,
                                                   group=group_label(row.evaluation_group, lang),
                                                   n=fmt_int(row.n_in_group))))
    out = [text(lang, "compare_groups_note", items="; ".join(item for _, item in sorted(groups)))] if groups else []
    counts = {name: len(profile.rejects_for(ctx, rid, name)) for rid, name in names_of(ctx, regency_ids).items()}
    rejected = [f"{name} {n}" for name, n in counts.items() if n]
    out.append(text(lang, "compare_rejects", items=", ".join(rejected)) if rejected
               else text(lang, "compare_rejects_none"))
    return out


def recommendations_by_theme(ctx: profile.ReportContext, regency_ids: list[int], lang: str) -> ReaderTable:
    """Themes by regency: each regency's recommendations of its latest year with any, side by side.

    A cell lists the recommendations of that theme as written (escaped), each
    with its latest follow-up status where one is recorded; a recommendation
    with several themes appears under each, one without theme under "No theme".
    """
    from smartcity_utils.analysis.recommendations import NO_THEME
    from smartcity_utils.clean.themes import explode_themes, theme_order
    from smartcity_utils.report.tables import coded_text, status_text

    cells: dict[str, dict[str, list[str]]] = {}
    labels: dict[str, str] = {}
    for i, (rid, name) in enumerate(names_of(ctx, regency_ids).items()):
        recs = profile.recommendations_of(ctx, rid)
        if recs.empty:
            continue
        latest = recs[recs["year"] == recs["year"].max()]
        column = f"r{i}"
        labels[column] = f"{name} ({int(latest['year'].iloc[0])})"
        for row in explode_themes(latest, none_key=NO_THEME).itertuples():
            item = (row.recommendation if pd.isna(row.status_latest) or not str(row.status_latest) else
                    text(lang, "rec_item", text=row.recommendation,
                         status=status_text(row.status_latest, row.status_latest_year, lang)))
            cells.setdefault(row.theme_key, {}).setdefault(column, [])
            if item not in cells[row.theme_key][column]:
                cells[row.theme_key][column].append(item)
    order = [t for t in theme_order() + [NO_THEME] if t in cells]
    frame = pd.DataFrame({"theme": [coded_text(lang, "theme_", t) for t in order]})
    for column in labels:
        frame[column] = [" · ".join(cells[t].get(column, [])) for t in order]
    return reader_table(frame, {"theme": "text", **dict.fromkeys(labels, "free")}, lang, labels=labels)


def recommendations_section(ctx: profile.ReportContext, regency_ids: list[int], lang: str) -> list[object]:
    """The recommendations of the regencies side by side by theme, or one sentence when none has any."""
    blocks: list[object] = [heading(text(lang, "compare_recommendations"))]
    table = recommendations_by_theme(ctx, regency_ids, lang)
    if not len(table):
        return blocks + [paragraph(text(lang, "compare_no_recommendations"))]
    return blocks + [table, paragraph(text(lang, "compare_rec_note"), css="table-note")]
