"""The sentences of a report (the summary at the top, the notes, the methods) and the findings of notebooks 01 and 02.

Each sentence is built from the same frames the report's tables show
(:mod:`smartcity_utils.report.profile`), formatted by the one number module
(:mod:`smartcity_utils.report.numbers`), so that a reader can find every number
of the summary again further down. The driver sentences describe associations
across regencies and never claim what a change would cause.
"""

from __future__ import annotations

import html

import pandas as pd

from smartcity_utils.analysis.recommendations import MIN_UNITS_FOR_ASSOCIATION, NO_THEME
from smartcity_utils.clean.recommendations import FOLLOWUP_LAG
from smartcity_utils.report.numbers import (
    fmt_count,
    fmt_int,
    fmt_p,
    fmt_pct,
    fmt_range,
    fmt_score,
    fmt_share,
    fmt_signed,
    sign_decimals,
)
from smartcity_utils.report.page import link_html
from smartcity_utils.report.profile import (
    NOT_REGENCY_ROWS,
    NOTABLE_GAP,
    group_changes,
    missing_years,
    previous_index,
)
from smartcity_utils.report.tables import (
    category_text,
    coded_text,
    compare_rank_phrases,
    group_label,
    measure_label,
    published_rank_text,
    theme_labels,
    weights_status_text,
)
from smartcity_utils.report.texts import HTMLBlock, text


def _source(lang: str, source: object) -> str:
    key = str(source)
    return text(lang, key) if key in ("reported", "computed") else key


#: A change of the index smaller than half a unit of its second decimal shows as 0.00 and is called
#: unchanged: the report prints indices to 2 decimals, as the evaluation publishes them.
UNCHANGED = 0.005


def province_rank_text(row: pd.Series, lang: str) -> str | None:
    """The published rank within the province ("4 of 38 in the province"); None without one."""
    if pd.isna(row.get("rank_province_reported")):
        return None
    if pd.notna(row.get("rank_province_of")):
        return text(lang, "province_rank_of", rank=fmt_int(row["rank_province_reported"]),
                    n=fmt_int(row["rank_province_of"]))
    return text(lang, "province_rank_alone", rank=fmt_int(row["rank_province_reported"]))


def rank_sentences(history: pd.DataFrame, year: int, lang: str) -> list[str]:
    """The published rank (with its group and size) and the computed one, or why none is computed."""
    row = history[history["year"] == year].iloc[0]
    published, province = published_rank_text(row, lang), province_rank_text(row, lang)
    out = []
    if published and province:
        out.append(text(lang, "summary_published_ranks", rank=published, province_rank=province))
    elif published or province:
        out.append(text(lang, "summary_published_rank", rank=published or province))
    else:
        out.append(text(lang, "summary_no_rank_reported", year=year))
    group = group_label(row["evaluation_group"], lang)
    if pd.notna(row["rank_computed"]):
        key = "summary_rank_computed" if pd.notna(row.get("rank_p05")) else "summary_rank_computed_no_range"
        if key == "summary_rank_computed" and pd.notna(row.get("rank_set_low")):
            key = "summary_rank_computed_set"  # the band and the 95 % confidence set for the rank
        out.append(text(lang, key, n=fmt_int(row["n_in_group"]), group=group, rank=fmt_int(row["rank_computed"]),
                        low=fmt_int(row.get("rank_p05")), high=fmt_int(row.get("rank_p95")),
                        set_low=fmt_int(row.get("rank_set_low")), set_high=fmt_int(row.get("rank_set_high")),
                        ahead=fmt_int(row["n_lower"]), others=fmt_int(row["n_others"]),
                        pct=fmt_pct(row["percentile_in_group"])))
    elif pd.isna(row.get("evaluation_group")):
        out.append(text(lang, "summary_rank_not_computed_no_group"))
    elif pd.notna(row.get("group_size")):
        out.append(text(lang, "summary_rank_not_computed_partial", loaded=fmt_int(row["n_loaded"]),
                        size=fmt_int(row["group_size"]), group=group))
    else:
        out.append(text(lang, "summary_rank_not_computed_size", group=group))
    return out


def index_sentence(history: pd.DataFrame, year: int, lang: str) -> str:
    """The index this year and where it comes from (reported, or computed from the dimension scores)."""
    row = history[history["year"] == year].iloc[0]
    return text(lang, "summary_index_only", year=year, score=fmt_score(row["final_score"], lang),
                source=_source(lang, row["final_score_source"]))


def check_sentence(letter: pd.DataFrame, year: int, lang: str) -> str | None:
    """The computed index beside the reported one, and the verdict in words; None without dimension scores."""
    rows = letter[letter["year"] == year]
    if rows.empty:
        return None
    row = rows.iloc[0]
    if pd.isna(row.get("weights")):
        return text(lang, "check_no_weights", year=year)
    if pd.isna(row["final_score_computed"]):
        return None
    values = {"year": year, "weights": row["weights"], "status": weights_status_text(row["weights_status"], lang),
              "computed": fmt_score(row["final_score_computed"], lang, decimals=3),
              "reported": fmt_score(row["final_score_reported"], lang),
              "difference": fmt_score(abs(row["difference"]), lang)}
    key = {"agrees": "check_agrees", "differs_documented": "check_differs_documented",
           "differs_weights_unknown": "check_differs_weights_unknown"}.get(row["verdict"], "check_no_reported")
    return text(lang, key, **values)


def gap_sentences(gaps: list[dict], year: int, regency: str, lang: str) -> list[str]:
    """One sentence per thing the data lack for a full report (:func:`profile.what_is_missing`)."""
    out = []
    for gap in gaps:
        code = gap["code"]
        if code == "no_dimensions":
            out.append(text(lang, "gap_no_dimensions", year=year))
        elif code == "no_pillars":
            out.append(text(lang, "gap_no_pillars", year=year))
        elif code == "cohort_unknown":
            out.append(text(lang, "gap_cohort_unknown", regency=regency))
        elif code == "cohort_not_whole":
            out.append(text(lang, "gap_cohort_not_whole", loaded=gap["loaded"], size=gap["size"], cohort=gap["cohort"],
                            year=year) if gap["size"] is not None
                       else text(lang, "gap_cohort_size_unknown", cohort=gap["cohort"]))
        elif code == "national_models":
            out.append(text(lang, "gap_national_models", needed=gap["needed"], rows=gap["rows"],
                            regencies=gap["regencies"]))
    return out


def change_sentences(history: pd.DataFrame, year: int, lang: str) -> list[str]:
    """The change since the previous year with an index; the rank change only within the same group."""
    prev, delta = previous_index(history, year)
    if prev is None:
        return [text(lang, "summary_first_year", year=year)]
    cur = history[history["year"] == year].iloc[0]
    if abs(delta) < UNCHANGED:
        out = [text(lang, "summary_change_same", prev_year=int(prev["year"]),
                    score=fmt_score(cur["final_score"], lang))]
    else:
        out = [text(lang, "summary_change", prev_year=int(prev["year"]),
                    direction=text(lang, "rose" if delta > 0 else "fell"), delta=fmt_score(abs(delta), lang),
                    prev_score=fmt_score(prev["final_score"], lang), score=fmt_score(cur["final_score"], lang))]
    if pd.isna(prev["rank_computed"]) or pd.isna(cur["rank_computed"]):
        return out  # ranks are compared only where both years have one computed in a whole group
    if prev["evaluation_group"] == cur["evaluation_group"] and prev["n_in_group"] != cur["n_in_group"]:
        out.append(text(lang, "summary_group_resized", group=group_label(cur["evaluation_group"], lang),
                        prev_n=fmt_int(prev["n_in_group"]), n=fmt_int(cur["n_in_group"]),
                        prev_pct=fmt_pct(prev["percentile_in_group"]), pct=fmt_pct(cur["percentile_in_group"])))
    elif prev["evaluation_group"] != cur["evaluation_group"]:
        out.append(text(lang, "summary_group_change", prev_group=group_label(prev["evaluation_group"], lang),
                        prev_n=fmt_int(prev["n_in_group"]), group=group_label(cur["evaluation_group"], lang),
                        n=fmt_int(cur["n_in_group"]), prev_pct=fmt_pct(prev["percentile_in_group"]),
                        pct=fmt_pct(cur["percentile_in_group"])))
    else:
        out.append(text(lang, "summary_rank_change", prev_rank=fmt_int(prev["rank_computed"]),
                        rank=fmt_int(cur["rank_computed"]), n=fmt_int(cur["n_in_group"])))
    return out


def history_notes(history: pd.DataFrame, year: int, n_draws: int, lang: str) -> list[str]:
    """The notes under the history table: how the percentile is counted, group changes, years without an index."""
    now = history[history["year"] == year].iloc[0]
    notes = []
    if pd.notna(now["rank_computed"]):
        # Ranks give the better rank to ties ("min"): rank - 1 regencies score strictly higher.
        ties = now["n_others"] - now["n_lower"] - (now["rank_computed"] - 1)
        notes.append(text(lang, "headline_note", year=year, lower=fmt_int(now["n_lower"]),
                          others=fmt_int(now["n_others"]), ties=fmt_int(ties), pct=fmt_pct(now["percentile_in_group"]),
                          n_draws=fmt_count(n_draws, lang)))
    if "rank_reported" in history.columns and history["rank_reported"].notna().any():
        notes.append(text(lang, "rank_separate_note"))
    changes = [text(lang, "group_change_item", year=c["year"], prev_group=group_label(c["prev_group"], lang),
                    prev_n=c["prev_n"], group=group_label(c["group"], lang), n=c["n"])
               for c in group_changes(history)]
    if changes:
        notes.append(text(lang, "group_change", changes="; ".join(changes)))
    outside = history[(history["rank_computed"] < history["rank_p05"])
                      | (history["rank_computed"] > history["rank_p95"])]
    if len(outside):
        notes.append(text(lang, "rank_outside_range", years=", ".join(str(int(y)) for y in outside["year"])))
    gaps = missing_years(history)
    if gaps:
        notes.append(text(lang, "missing_year", years=", ".join(map(str, gaps))))
    return notes


def pillar_sentences(strong: pd.DataFrame, weak: pd.DataFrame, lang: str,
                     threshold: float = NOTABLE_GAP) -> list[str]:
    """The two strongest and two weakest pillars against the cohort median (beyond the threshold)."""
    def items(frame: pd.DataFrame) -> str:
        return ", ".join(f"{r.pillar} ({fmt_signed(r.gap_to_cohort_median, lang)})" for r in frame.itertuples())

    limit = fmt_score(threshold, lang)
    return [text(lang, "summary_strong", items=items(strong)) if len(strong)
            else text(lang, "summary_strong_none", threshold=limit),
            text(lang, "summary_weak", items=items(weak)) if len(weak)
            else text(lang, "summary_weak_none", threshold=limit)]


def summary_sentences(history: pd.DataFrame, year: int, strong: pd.DataFrame, weak: pd.DataFrame,
                      lang: str, letter: pd.DataFrame | None = None,
                      gaps: list[dict] | None = None, regency: str = "") -> list[str]:
    """The summary at the top of a report, one sentence per finding and one per thing the data lack.

    The pillar sentences need the regency's pillars and its whole cohort.
    Where they are missing, the gap sentences say so instead.
    """
    gaps = list(gaps or [])
    codes = {g["code"] for g in gaps}
    out = [index_sentence(history, year, lang)] + rank_sentences(history, year, lang)
    check = check_sentence(letter, year, lang) if letter is not None else None
    if check:
        out.append(check)
    out += change_sentences(history, year, lang)
    if not codes & {"no_pillars", "cohort_unknown", "cohort_not_whole"}:
        out += pillar_sentences(strong, weak, lang)
    return out + gap_sentences(gaps, year, regency, lang)


def bullet_html(sentences: list[str], heading: str = "", note: str = "") -> HTMLBlock:
    """Sentences as an HTML list under an optional ``<h2>``."""
    head = f"<h2>{html.escape(heading)}</h2>" if heading else ""
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
    tail = f'<p class="table-note">{html.escape(note)}</p>' if note else ""
    return HTMLBlock(f'<section class="summary">{head}<ul>{items}</ul>{tail}</section>', "\n".join(sentences))


def methods_html(lang: str, n_draws: int, method: str, sources: pd.DataFrame, intervals: bool = True,
                 simulated: bool = True, shared_error: tuple[str, float] = ("bound", 0.0)) -> HTMLBlock:
    """The methods in plain words, with links to the sources of the real figures.

    Only the methods behind numbers the page shows: no paragraph on the driver
    models when none ran (``method`` empty), on rank intervals when there are
    none, or on the simulator when the page holds real data only. ``shared_error``
    is how the panel-shared error of the ranges was sized and its size
    (:attr:`~smartcity_utils.report.profile.ReportContext.shared_error`): the
    data's upper bound (``"bound"``), set by hand (``"set"``) or left out (``"none"``).
    """
    paragraphs = [text(lang, "methods_index"), text(lang, "methods_ranks")]
    if intervals:
        kind, sd = shared_error
        paragraphs.append(" ".join([text(lang, "methods_intervals", n_draws=fmt_count(n_draws, lang)),
                                    text(lang, f"methods_intervals_{kind}", sd=fmt_score(sd, lang)),
                                    text(lang, "methods_intervals_sets")]))
    if method:
        paragraphs.append(text(lang, "methods_drivers", method=coded_text(lang, "method_", method, "method_other")))
    if simulated:
        paragraphs.append(text(lang, "methods_simulated"))
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    links = "".join(
        f'<li>{html.escape(r.region)} ({html.escape(r.years)}): {link_html(r.source_url)}</li>'
        for r in sources.itertuples())
    listed = (f"<p>{html.escape(text(lang, 'methods_sources'))}</p><ul class=\"sources\">{links}</ul>" if links
              else "")
    return HTMLBlock(f'<section class="methods"><h2>{html.escape(text(lang, "methods"))}</h2>{body}{listed}</section>',
                     "\n".join(paragraphs))


# --------------------------------------------------------------------------- the comparison report's sentences


def compare_summary(histories_by_name: dict[str, pd.DataFrame], year: int, lang: str) -> list[str]:
    """One sentence per regency: index, rank of N and percentile in ``year``, and the change since its previous
    index."""
    out = []
    for name, history in histories_by_name.items():
        now = history.dropna(subset=["final_score"])
        now = now[now["year"] == year]
        if now.empty:
            out.append(text(lang, "compare_no_index", name=name, year=year))
            continue
        row = now.iloc[0]
        prev, delta = previous_index(history, year)
        if prev is None:
            change = text(lang, "compare_change_none")
        else:
            change = text(lang, "compare_change", delta=fmt_signed(delta, lang), prev_year=int(prev["year"]))
        ranks = "; ".join(compare_rank_phrases(row, lang)) or text(lang, "compare_no_rank")
        out.append(text(lang, "compare_summary_item", name=name, year=year, score=fmt_score(row["final_score"], lang),
                        ranks=ranks, change=change))
    return out


def compare_notes(histories_by_name: dict[str, pd.DataFrame], rejected: dict[str, int], lang: str) -> list[str]:
    """Notes under the comparison's history table: years ranked in a group other than the national one, and
    the rows rejected per regency (:func:`smartcity_utils.report.compare.rejected_counts`)."""
    groups = []
    for name, history in histories_by_name.items():
        for row in history.dropna(subset=["final_score", "rank_computed"]).itertuples():
            if str(row.evaluation_group).strip().lower() != "nasional":
                groups.append((int(row.year), text(lang, "compare_group_item", year=int(row.year), name=name,
                                                   group=group_label(row.evaluation_group, lang),
                                                   n=fmt_int(row.n_in_group))))
    out = [text(lang, "compare_groups_note", items="; ".join(item for _, item in sorted(groups)))] if groups else []
    items = [f"{name} {fmt_int(n)}" for name, n in rejected.items() if n]
    out.append(text(lang, "compare_rejects", items=", ".join(items)) if items else text(lang, "compare_rejects_none"))
    return out


# --------------------------------------------------------------------------- findings of the analysis notebooks

#: Holm-corrected p-value below which a cohort difference is called clear (the usual 5 % level).
CLEAR_P = 0.05


def cleaning_overview(tables: dict[str, pd.DataFrame], share_simulated: float, lang: str) -> list[str]:
    """The first sentences of notebook 01: the files, rows read, kept and rejected, and the share simulated."""
    manifest = tables["manifest"]
    return [text(lang, "finding_files", files=fmt_count(len(manifest), lang),
                 read=fmt_count(manifest["rows_read"].sum(), lang), kept=fmt_count(manifest["rows_kept"].sum(), lang),
                 rejected=fmt_count(manifest["rows_rejected"].sum(), lang)),
            text(lang, "finding_simulated", share=fmt_share(share_simulated))]


def cleaning_findings(tables: dict[str, pd.DataFrame], summary: dict[str, pd.DataFrame],
                      reproduction: pd.DataFrame, share_simulated: float, lang: str = "en",
                      top: int = 3) -> list[str]:
    """What the cleaning found, one sentence per finding, from the tables notebook 01 shows.

    Args:
        tables: The processed tables (``manifest``, ``rejects``).
        summary: :func:`smartcity_utils.analysis.quality.quality_summary` (``cohort_coverage``).
        reproduction: :func:`smartcity_utils.analysis.quality.published_reproduction`.
        share_simulated: Share of simulated score values (0 to 1).
        lang: Language of the sentences.
        top: How many reject reasons to name.
    """
    overview = cleaning_overview(tables, share_simulated, lang)
    out = overview[:1]
    rejects = tables["rejects"]
    counts = rejects.loc[~rejects["reason"].isin(NOT_REGENCY_ROWS), "reason"].value_counts()
    if len(counts):
        items = ", ".join(f"{coded_text(lang, 'reason_', r, 'reason_other')} ({n})"
                          for r, n in counts.head(top).items())
        out.append(text(lang, "finding_reasons", items=items))
    else:
        out.append(text(lang, "finding_reasons_none"))
    coverage = summary.get("cohort_coverage")
    if coverage is not None and len(coverage):
        years = [c for c in coverage.columns if c != "members"]
        joined = coverage.index.astype(int).to_numpy()
        # Members of the cohorts that had joined by each year, and how many of them have scores.
        members = {y: int(coverage.loc[joined <= int(y), "members"].sum()) for y in years}
        scored = {y: int(coverage[y].sum()) for y in years}
        thin = min((y for y in years if members[y]), key=lambda y: scored[y] / members[y])
        out.append(text(lang, "finding_coverage", first=min(years), last=max(years), year=thin,
                        scored=scored[thin], members=members[thin]))
    out.append(text(lang, "finding_published", found=int(reproduction["matches"].sum()), total=len(reproduction)))
    return out + overview[1:]


def holm_family_text(families: pd.Series, lang: str) -> str:
    """The family Holm's correction is applied to, in words that agree in number: ``families`` holds the number
    of tests at each time point (the correction is applied within each)."""
    tests = int(families.sum())
    if tests == 0:
        raise ValueError("no test: there is no Holm family to describe")
    if tests == 1:
        return text(lang, "holm_one_test")
    family = fmt_range(families.min(), families.max())
    if len(families) == 1:
        return text(lang, "holm_one_point", family=family)
    if families.max() == 1:
        return text(lang, "holm_points_one_measure", points=fmt_int(len(families)))
    return text(lang, "holm_points_measures", points=fmt_int(len(families)), family=family, tests=tests)


def _cohort_test_sentences(comparison, lang: str) -> list[str]:
    """The cohort tests at one kind of time point: how many are clear, the family Holm is applied to, the
    largest clear pair with its delta's interval, and what the pair's difference is confounded with."""
    calendar = comparison.time_col == "year"
    time_word = text(lang, "time_calendar" if calendar else "time_programme")
    kruskal = comparison.kruskal.dropna(subset=["p_holm"])
    clear = int((kruskal["p_holm"] < CLEAR_P).sum())
    threshold = fmt_score(CLEAR_P, lang)
    if kruskal.empty:
        return [text(lang, "finding_cohort_no_test", time=time_word)]
    families = kruskal.groupby(comparison.time_col).size()
    out = [text(lang, "finding_cohort_tests", time=time_word, clear=clear, tests=len(kruskal), threshold=threshold,
                holm=holm_family_text(families, lang))]
    pairs = comparison.pairwise[comparison.pairwise["p_holm"] < CLEAR_P]
    if pairs.empty:
        return out + [text(lang, "finding_cohort_none", time=time_word, threshold=threshold)]
    top = pairs.loc[pairs["cliffs_delta"].abs().idxmax()]
    when = text(lang, "when_calendar" if calendar else "when_programme",
                point=category_text(top[comparison.time_col]))
    out.append(text(lang, "finding_cohort_largest", when=when,
                    a=category_text(top["cohort_a"]), b=category_text(top["cohort_b"]),
                    direction=text(lang, "higher" if top["cliffs_delta"] > 0 else "lower"),
                    measure=measure_label(top["measure"], lang), median_a=fmt_score(top["median_a"], lang),
                    median_b=fmt_score(top["median_b"], lang), delta=fmt_signed(top["cliffs_delta"], lang),
                    low=fmt_signed(top["cliffs_delta_low"], lang), high=fmt_signed(top["cliffs_delta_high"], lang),
                    p=fmt_p(top["p_holm"], lang), family=fmt_int(top["holm_family"])))
    if not calendar and str(top.get("calendar_a", "")) != str(top.get("calendar_b", "")):
        out.append(text(lang, "finding_cohort_calendar", a=category_text(top["cohort_a"]),
                        b=category_text(top["cohort_b"]), years_a=top["calendar_a"], years_b=top["calendar_b"]))
    elif calendar and _is_year(top["cohort_a"]) and _is_year(top["cohort_b"]) and top["cohort_a"] != top["cohort_b"]:
        older, newer = sorted((int(float(top["cohort_a"])), int(float(top["cohort_b"]))))
        out.append(text(lang, "finding_cohort_experience", a=older, b=newer, years=fmt_int(newer - older)))
    return out


def _is_year(value: object) -> bool:
    """Whether a cohort label is a joining year (a cohort column other than ``cohort_year`` holds names)."""
    try:
        return 1900 < float(value) < 2200
    except (TypeError, ValueError):
        return False


def cohort_findings(focus: pd.DataFrame, by_calendar, by_programme, lang: str = "en") -> list[str]:
    """What notebook 02 found: cohort differences at equal calendar year and at equal years in the programme,
    and each focus regency's latest position in its cohort.

    Args:
        focus: :func:`smartcity_utils.analysis.cohorts.focus_vs_cohort` (with ``final_score`` among the measures).
        by_calendar: :func:`smartcity_utils.analysis.cohorts.compare_cohorts` with ``by="calendar"``.
        by_programme: The same with ``by="programme_year"``.
        lang: Language of the sentences.
    """
    out = _cohort_test_sentences(by_calendar, lang) + _cohort_test_sentences(by_programme, lang)
    for regency, block in focus.groupby("regency", sort=False):
        latest = block[block["year"] == block.loc[block["measure"] == "final_score", "year"].max()]
        head = latest[latest["measure"] == "final_score"]
        pillars = latest[latest["measure"] != "final_score"].dropna(subset=["gap_to_median"])
        if head.empty or pillars.empty:
            continue
        row = head.iloc[0]
        best = pillars.loc[pillars["gap_to_median"].idxmax()]
        worst = pillars.loc[pillars["gap_to_median"].idxmin()]
        out.append(text(lang, "finding_focus", regency=regency, year=int(row["year"]),
                        score=fmt_score(row["score"], lang),
                        pct=fmt_pct(row["percentile_in_cohort"]), cohort=category_text(row["cohort"]),
                        gap=fmt_signed(row["gap_to_median"], lang), best=measure_label(best["measure"], lang),
                        best_gap=fmt_signed(best["gap_to_median"], lang), worst=measure_label(worst["measure"], lang),
                        worst_gap=fmt_signed(worst["gap_to_median"], lang)))
    out.append(text(lang, "finding_cohort_caveat"))
    return out


def followup_sentence(row: pd.Series, lang: str) -> str:
    """One year of a regency's recommendations: how many, and their statuses at the next year's follow-up
    (a row of :func:`smartcity_utils.report.profile.followup_summary`)."""
    year = int(row["year"])
    if not row["has_followup"]:
        return text(lang, "rec_summary_no_followup", n=fmt_int(row["n"]))
    return text(lang, "rec_summary", n=fmt_int(row["n"]), next=year + FOLLOWUP_LAG,
                done=fmt_int(row["n_selesai"]), progress=fmt_int(row["n_proses"]), open=fmt_int(row["n_belum"]),
                unknown=fmt_int(row["n_unknown"]))


def repeated_sentence(recommendations: pd.DataFrame, year: int, lang: str) -> str | None:
    """The themes of ``year`` that the regency was given the year before too, or None."""
    found = [t for themes in recommendations.loc[recommendations["year"] == year, "repeated_themes"].fillna("")
             for t in str(themes).split("; ") if t]
    if not found:
        return None
    return text(lang, "rec_repeated", year=year, prev=year - 1, themes=theme_labels("; ".join(dict.fromkeys(found)),
                                                                                     lang))


#: Themes named in the findings of notebook 04: three keep the sentence readable; its tables list every theme.
TOP_THEMES = 3


def recommendation_findings(by_pillar: pd.DataFrame, recommendations: pd.DataFrame, rates: pd.DataFrame,
                            association: pd.DataFrame, units: pd.DataFrame, lang: str) -> list[str]:
    """What notebook 04 found, each sentence computed from the tables it shows.

    Args:
        by_pillar: :func:`smartcity_utils.analysis.recommendations.themes_by` by pillar.
        recommendations: The recommendations (``n_themes``: 0 for those no keyword matched).
        rates: :func:`smartcity_utils.analysis.recommendations.followup_rates`.
        association: :func:`smartcity_utils.analysis.recommendations.completion_association`.
        units: :func:`smartcity_utils.analysis.recommendations.completion_units`.
        lang: Language of the sentences.
    """
    themed = by_pillar[by_pillar["theme_key"] != NO_THEME]
    top = themed.groupby("theme_key")["n_recommendations"].sum().sort_values(ascending=False, kind="stable")
    items = ", ".join(f"{theme_labels(k, lang)} ({fmt_int(n)})" for k, n in top.head(TOP_THEMES).items())
    out = [text(lang, "rec_finding_themes", items=items)] if items else []
    out.append(text(lang, "rec_finding_unthemed", n=fmt_int((recommendations["n_themes"] == 0).sum()),
                    total=fmt_int(len(recommendations))))
    if len(rates) and rates["n_recorded"].sum():
        done = (rates["share_selesai"] * rates["n_recorded"]).sum() / rates["n_recorded"].sum()
        out.append(text(lang, "rec_finding_followup", pct=fmt_share(done), n=fmt_int(rates["n_recorded"].sum()),
                        k=fmt_int(rates["n_regencies"].sum())))
    if association.empty:
        out.append(text(lang, "rec_finding_too_few", n=fmt_int(len(units)), min=MIN_UNITS_FOR_ASSOCIATION))
        return out
    row = association.set_index("term").loc["share_done"]
    agencies = text(lang, "rec_finding_agencies") if "n_agencies_total" in set(association["term"]) else ""
    d = sign_decimals((row["ci_low"], row["ci_high"]))
    out.append(text(lang, "rec_finding_association", estimate=fmt_signed(row["estimate"], lang, d),
                    low=fmt_signed(row["ci_low"], lang, d), high=fmt_signed(row["ci_high"], lang, d),
                    n=fmt_int(row["n_units"]),
                    k=fmt_int(row["n_regencies"]), agencies=agencies))
    start = association.set_index("term").loc["index_start"]
    d = sign_decimals((start["ci_low"], start["ci_high"]))
    out.append(text(lang, "rec_finding_mean_reversion", estimate=fmt_signed(start["estimate"], lang, d),
                    low=fmt_signed(start["ci_low"], lang, d), high=fmt_signed(start["ci_high"], lang, d)))
    return out
