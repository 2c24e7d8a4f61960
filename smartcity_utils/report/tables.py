"""Tables formatted for a reader: labels in the page's language, rounded numbers, "-" for missing.

A page shows no data frame as pandas prints it. :func:`reader_table` takes a
frame and a column specification (which columns, of which kind) and returns
a :class:`ReaderTable`: HTML without an index column, every number formatted
by :mod:`smartcity_utils.report.numbers` (the one place of rounding, decimal
marks and signs), missing values shown as ``-`` with a note under the table.
The phrases in a table's cells (a rank with its group, the check of a year)
are here too; :mod:`smartcity_utils.report.narrative` quotes them in its
sentences.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.analysis.recommendations import NO_THEME
from smartcity_utils.clean.recommendations import SCOPE_ORDER
from smartcity_utils.clean.themes import explode_themes, theme_order
from smartcity_utils.report.numbers import (
    MISSING,
    fmt_count,
    fmt_int,
    fmt_interval,
    fmt_p,
    fmt_pct,
    fmt_range,
    fmt_score,
    fmt_share_interval,
    fmt_signed,
)
from smartcity_utils.report.page import link_html
from smartcity_utils.report.profile import NOT_REGENCY_ROWS, nearest_known_name
from smartcity_utils.report.texts import has_text, text, words
from smartcity_utils.values import is_missing

#: Column kinds and what they show: ``int`` a count (grouped by thousands), ``whole`` a whole number that is
#: no count (a row of a file, years in the programme), ``num`` a number already formatted by
#: :mod:`~smartcity_utils.report.numbers`; numbers are right-aligned.
KINDS = ("text", "score", "signed", "rank", "int", "whole", "pct", "year", "link", "bool", "range", "interval", "code",
         "p", "free", "num")


def _link(value: object) -> str:
    """One link per address (a cell may hold several, separated by spaces), shown by its host; only
    ``http``/``https`` addresses become links (``page.link_html``), any other is shown as text."""
    if is_missing(value) or not str(value).strip():
        return MISSING
    return ", ".join(link_html(url, urlparse(url).netloc or url) for url in str(value).split())


def format_cell(value: object, kind: str, lang: str) -> str:
    """The HTML of one cell of ``kind`` (escaped; links as anchors)."""
    if kind == "score":
        return fmt_score(value, lang)
    if kind == "signed":
        return fmt_signed(value, lang)
    if kind == "int":  # a count: grouped by thousands (10.274 in Indonesian)
        return fmt_count(value, lang)
    if kind in ("rank", "year", "whole"):
        return fmt_int(value)
    if kind == "pct":
        return fmt_pct(value)
    if kind == "p":
        return fmt_p(value, lang)
    if kind == "link":
        return _link(value)
    if kind == "bool":
        return MISSING if is_missing(value) else text(lang, "yes" if bool(value) else "no")
    if kind in ("range", "interval"):
        low, high = value if isinstance(value, tuple) else (None, None)
        return fmt_range(low, high) if kind == "range" else fmt_interval(low, high, lang)
    if kind == "code":  # a file name or a hash: may break after a folder or a word, never inside one
        if is_missing(value) or str(value) == "":
            return MISSING
        shown = re.sub(r"([/_.-])", r"\1<wbr>", html.escape(str(value)))
        return f"<code>{shown}</code>"
    if kind == "num":  # a number already formatted for the page's language
        return MISSING if is_missing(value) or str(value) == "" else html.escape(str(value))
    if kind == "free":  # text as a person wrote it: escaped, and a long word or address may wrap anywhere
        return MISSING if is_missing(value) or str(value) == "" else \
            f'<span class="free-text">{html.escape(str(value))}</span>'

    return MISSING if is_missing(value) or str(value) == "" else _breakable(str(value))


#: Length of a word (a path, a file name in a sentence) from which a cell may break it after ``/`` or ``_``.
LONG_WORD = 20


def _breakable(value: str) -> str:
    """``value`` escaped, its long words allowed to break after a ``/`` or a ``_``, so that a path in a suggested
    fix does not widen its column past the page."""
    marked = re.sub(rf"\S{{{LONG_WORD},}}", lambda m: re.sub(r"([/_])", "\\1\0", m.group(0)), value)
    return html.escape(marked).replace("\0", "<wbr>")


#: Columns from which a table is printed in a smaller type (``wide``): eight columns of numbers, short labels
#: and file names fill the 186 mm of an A4 text width at 8.5 pt (measured on notebook 01's file table).
WIDE_COLUMNS = 8

_NUMERIC = {"score", "signed", "rank", "int", "whole", "pct", "year", "range", "interval", "p", "num"}


@dataclass
class ReaderTable:
    """A formatted table: header labels, cell HTML, and the notes shown under it."""

    labels: list[str]
    kinds: list[str]
    rows: list[list[str]]
    notes: list[str]
    caption: str = ""

    def to_html(self) -> str:
        """The table as HTML (class ``reader``; numeric columns right-aligned)."""
        def cls(kind: str) -> str:
            return ' class="num"' if kind in _NUMERIC else ""

        head = "".join(f"<th{cls(k)} scope=\"col\">{html.escape(lab)}</th>" for lab, k in zip(self.labels, self.kinds))
        body = "".join("<tr>" + "".join(f"<td{cls(k)}>{c}</td>" for c, k in zip(row, self.kinds)) + "</tr>"
                       for row in self.rows)
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        # Many columns: a smaller type on paper, so that the table fits the A4 width.
        wide = " wide" if len(self.labels) >= WIDE_COLUMNS else ""
        notes = "".join(f'<p class="table-note">{html.escape(n)}</p>' for n in self.notes)
        return (f'<div class="table-wrap"><table class="reader{wide}">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>{notes}</div>")

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return " | ".join(self.labels) + f" ({len(self.rows)} rows)"

    def __len__(self) -> int:
        return len(self.rows)


def reader_table(frame: pd.DataFrame, columns: Mapping[str, str | tuple[str, str]], lang: str,
                 caption: str = "", notes: list[str] | None = None,
                 labels: Mapping[str, str] | None = None) -> ReaderTable:
    """Format ``frame`` for a reader.

    Args:
        frame: The data; its index is never shown.
        columns: ``{column: kind}`` in display order. The label is the report
            text ``col_<column>`` in ``lang``. A value ``(kind, label_key)``
            takes the label from ``label_key`` instead. Kinds ``range`` and
            ``interval`` read two columns ``<column>_low`` and ``<column>_high``.
        lang: Report language.
        caption: Optional caption (already in ``lang``).
        notes: Notes shown under the table; the missing-value note is added
            when a cell shows ``-``.
        labels: Labels given as they are (names of regencies as column
            headings), instead of a report text.

    Returns:
        The formatted table.

    Raises:
        KeyError: for a column that is not in ``frame`` or a label without text.
        ValueError: for an unknown kind.
    """
    literal = dict(labels or {})
    labels, kinds, getters = [], [], []
    for column, spec in columns.items():
        kind, label_key = (spec, f"col_{column}") if isinstance(spec, str) else spec
        if kind not in KINDS:
            raise ValueError(f"unknown column kind {kind!r}; kinds: {KINDS}")
        if kind in ("range", "interval"):
            for part in (f"{column}_low", f"{column}_high"):
                if part not in frame.columns:
                    raise KeyError(f"column {part!r} missing for {kind} {column!r}")
        elif column not in frame.columns:
            raise KeyError(f"column {column!r} not in the table; columns: {list(frame.columns)}")
        labels.append(literal[column] if column in literal else text(lang, label_key))
        kinds.append(kind)
        getters.append(column)
    rows = []
    for record in frame.to_dict("records"):
        row = []
        for column, kind in zip(getters, kinds):
            value = ((record[f"{column}_low"], record[f"{column}_high"]) if kind in ("range", "interval")
                     else record[column])
            row.append(format_cell(value, kind, lang))
        rows.append(row)
    notes = list(notes or [])
    if any(cell == MISSING for row in rows for cell in row):
        notes.append(text(lang, "missing_note"))
    return ReaderTable(labels, kinds, rows, notes, caption)


# --------------------------------------------------------------------------- the report's tables


def coded_text(lang: str, prefix: str, code: object, fallback_key: str | None = None) -> str:
    """The report text ``<prefix><code>`` in ``lang``; an unlisted code as words (or the ``fallback_key`` text)."""
    if is_missing(code):
        return MISSING
    key = f"{prefix}{code}"
    table = words(lang)
    if key in table:
        return table[key]
    plain = str(code).replace("_", " ")  # an unlisted code still reads as words
    return text(lang, fallback_key, code=plain) if fallback_key else plain


#: A group of one cohort or of several, as a register or the documented letters name it, with the letter that
#: ranked it where named (``Angkatan 2021``, ``Angkatan 2017-2022 (surat B-1478)``, ``Angkatan 2023 (surat B-1477)``).
_COHORT_GROUP = re.compile(r"^\s*angkatan\s+(\d{4})(?:\s*[-\u2013]\s*(\d{4}))?\s*(?:\(\s*surat\s+([^)]+?)\s*\))?\s*$",
                           re.IGNORECASE)


def group_label(group: object, lang: str) -> str:
    """An evaluation group's name in the report's language (``Nasional``, ``Angkatan 2021`` as in the data; the
    letter that ranked it, ``(surat B-1478)``, in the same language)."""
    if is_missing(group):
        return MISSING
    found = _COHORT_GROUP.match(str(group))
    if found:
        first, last, letter = found.groups()
        label = (text(lang, "group_cohorts", first=first, last=last, rest="") if last
                 else text(lang, "group_cohort", year=first))
        return f"{label} ({text(lang, 'group_letter', letter=letter)})" if letter else label
    if str(group).strip().lower() == "nasional":
        return text(lang, "group_national")
    return str(group)


def published_rank_text(row: pd.Series, lang: str) -> str | None:
    """The published rank with its group, as a reader needs it: "8 of 37 (nasional)"; None without one."""
    if pd.isna(row.get("rank_reported")):
        return None
    scope = row.get("rank_scope")
    if (pd.isna(scope) or not str(scope).strip()) and pd.isna(row.get("evaluation_group")):
        # Neither the source nor a register names the group: say so, never assume one.
        if pd.notna(row.get("rank_of")):
            return text(lang, "published_rank_of_unnamed", rank=fmt_int(row["rank_reported"]),
                        n=fmt_int(row["rank_of"]))
        return text(lang, "published_rank_alone_unnamed", rank=fmt_int(row["rank_reported"]))
    scope = (group_label(row["evaluation_group"], lang) if pd.isna(scope) or not str(scope).strip() else str(scope))
    if pd.notna(row.get("rank_of")):
        return text(lang, "published_rank_of", rank=fmt_int(row["rank_reported"]), n=fmt_int(row["rank_of"]),
                    scope=scope)
    return text(lang, "published_rank_alone", rank=fmt_int(row["rank_reported"]), scope=scope)


def history_table(history: pd.DataFrame, lang: str) -> ReaderTable:
    """Index and ranks per year: the published rank with its group, the rank computed where the group is
    held whole (with its plausible range and the percentile), and the change since the year before."""
    frame = history.assign(
        evaluation_group=[group_label(g, lang) for g in history["evaluation_group"]],
        source=[coded_text(lang, "", s) if s in ("reported", "computed") else s
                for s in history["final_score_source"]],
        rank_published=[published_rank_text(row, lang) or MISSING for _, row in history.iterrows()],
        rank_computed_of=[text(lang, "rank_of", rank=fmt_int(r), n=fmt_int(n)) if not is_missing(r) else MISSING
                          for r, n in zip(history["rank_computed"], history["n_in_group"])],
        rank_range_low=history["rank_p05"], rank_range_high=history["rank_p95"],
        data_kind=data_kind(history, lang),
        rank_set_low=history.get("rank_set_low", np.nan), rank_set_high=history.get("rank_set_high", np.nan))
    columns = {"year": "year", "data_kind": ("text", "col_data_kind"), "evaluation_group": ("text", "col_group"),
               "final_score": ("score", "col_index"), "source": "text", "improvement": "signed",
               "rank_published": ("text", "col_rank_published"), "rank_computed_of": ("text", "col_rank_computed"),
               "rank_range": "range"}
    if frame["rank_set_low"].notna().any():
        # Beside the plausible range, the 95 % confidence set for the rank (a coverage guarantee).
        columns["rank_set"] = ("range", "col_rank_set")
    columns["percentile_in_group"] = ("pct", "col_percentile")
    return reader_table(frame, columns, lang)


def verdict_text(row: pd.Series, lang: str) -> str:
    """The check of one year in a table cell: "agrees", "differs by 0.12"."""
    difference = row.get("difference")
    shown = fmt_score(abs(difference), lang) if pd.notna(difference) else ""
    return text(lang, f"verdict_{row['verdict']}", difference=shown)


def weights_status_text(status: object, lang: str) -> str:
    """How a year's weights are known, in words (documented, inferred from a letter, assumed, not known)."""
    return coded_text(lang, "weights_", status if isinstance(status, str) else "none")


def letter_table(letter: pd.DataFrame, lang: str) -> ReaderTable:
    """Per year, as the letter gives it: the five dimension scores, the index computed from them with the
    year's weights, the reported index, and the check."""
    frame = letter.assign(check=[verdict_text(row, lang) for _, row in letter.iterrows()])
    return reader_table(frame, {"year": "year", "baseline": "score", "output": ("score", "col_output"),
                                "outcome": ("score", "col_outcome"), "impact": ("score", "col_impact"),
                                "quick_wins": "score", "final_score_computed": ("score", "col_computed_index"),
                                "final_score_reported": ("score", "col_reported_index"), "check": "text"}, lang)


def weights_table(letter: pd.DataFrame, lang: str) -> ReaderTable:
    """The dimension weights of each year of the letter table, how they are known, and their source."""
    frame = letter.drop_duplicates("year")
    frame = frame.assign(status=[weights_status_text(s, lang) for s in frame["weights_status"]])
    return reader_table(frame, {"year": "year", "weights": "text", "status": ("text", "col_weights_status"),
                                "weights_source_url": ("link", "col_weights_source")}, lang)


def own_pillars_table(position: pd.DataFrame, lang: str) -> ReaderTable:
    """The regency's pillar scores alone (when neither its cohort nor the nation is held whole in the data)."""
    columns = {"pillar": "text", "score": "score"}
    if position["national_median"].notna().any():
        columns["national_median"] = "score"
    return reader_table(position, columns, lang)


def position_table(position: pd.DataFrame, lang: str) -> ReaderTable:
    """The six pillars against the cohort and the nation, with the reading (strength, weakness, near the median)."""
    frame = position.assign(verdict=[coded_text(lang, "", v) for v in position["verdict"]])
    return reader_table(frame, {"pillar": "text", "score": "score", "cohort_median": "score",
                                "cohort_best": "score", "national_median": "score",
                                "gap_to_cohort_median": ("signed", "col_gap"),
                                "percentile_in_cohort": ("pct", "col_pct_cohort"), "verdict": "text"}, lang)


def data_kind(frame: pd.DataFrame, lang: str) -> list[str]:
    """Per row, whether it comes from files marked as real or from the simulator (``is_simulated``); a row
    without the flag is not called real."""
    if "is_simulated" not in frame.columns:
        return [text(lang, "data_simulated")] * len(frame)
    return [text(lang, "data_real") if not is_missing(v) and not bool(v) else text(lang, "data_simulated")
            for v in frame["is_simulated"]]


def quick_wins_table(quick_wins: pd.DataFrame, lang: str) -> ReaderTable:
    """The Quick Win programmes and their four scores, each row saying whether it is real or simulated."""
    quick_wins = quick_wins.assign(data_kind=data_kind(quick_wins, lang))
    return reader_table(quick_wins, {"year": "year", "data_kind": ("text", "col_data_kind"), "pillar": "text",
                                     "programme_name": ("text", "col_programme"),
                                     "score_output": ("score", "col_output"), "score_outcome": ("score", "col_outcome"),
                                     "score_impact": ("score", "col_impact"),
                                     "score_sustainability": ("score", "col_sustainability")}, lang)


def fix_text(reason: object, nearest: object, lang: str) -> str:
    """The suggested fix of a rejected row or value, by its reason (the nearest known name of an unknown one)."""
    if reason == "unknown_regency":
        return (text(lang, "fix_unknown_regency", name=nearest) if not is_missing(nearest) and nearest
                else text(lang, "fix_unknown_regency_plain"))
    return text(lang, f"fix_{reason}") if has_text(lang, f"fix_{reason}") else text(lang, "fix_other")


def rejects_table(rejects: pd.DataFrame, lang: str) -> ReaderTable:
    """The regency's rejected rows and values: file, row, value, reason and the fix, in the report's language."""
    frame = rejects.assign(
        file=rejects["source_file"], row=rejects["source_row"],
        reason_text=[coded_text(lang, "reason_", r, "reason_other") for r in rejects["reason"]],
        fix=[fix_text(r.reason, r.nearest, lang) for r in rejects.itertuples()],
        match_text=[coded_text(lang, "match_", m) for m in rejects["match"]])
    return reader_table(frame, {"file": "code", "row": "whole", "value": "text",
                                "reason_text": ("text", "col_reason"), "fix": "text",
                                "match_text": ("text", "col_match")}, lang)


def published_table(published: pd.DataFrame, lang: str) -> ReaderTable:
    """The real published figures with their source links (figure names in the report's language)."""
    pillars = ref.pillar_names()
    published = published.assign(metric_text=[pillars[m] if m in pillars else coded_text(lang, "metric_", m)
                                              for m in published["metric"]])
    return reader_table(published, {"year": "year", "metric_text": ("text", "col_metric"),
                                    "value": ("score", "col_published_value"), "rank": ("rank", "col_published_rank"),
                                    "rank_of": ("int", "col_n"), "source_url": ("link", "col_link")}, lang)


def provenance_table(provenance: pd.DataFrame, lang: str) -> ReaderTable:
    """The raw files behind the numbers, with their hashes."""
    provenance = provenance.assign(layout_text=[coded_text(lang, "layout_", v) for v in provenance["layout"]])
    return reader_table(provenance, {"source_file": ("code", "col_file"), "layout_text": ("text", "col_layout"),
                                     "years": "text", "values": "int", "is_simulated": ("bool", "col_simulated"),
                                     "sha256": ("code", "col_hash")}, lang)


def scope_label(pillar_key: object, dimension_key: object, lang: str) -> str:
    """What a recommendation is for, in words: the pillar's name, all pillars, the masterplan, a dimension."""
    if not is_missing(pillar_key) and pillar_key in ref.pillar_names():
        return ref.pillar_names()[pillar_key]
    if not is_missing(pillar_key):
        return coded_text(lang, "scope_", pillar_key)
    if not is_missing(dimension_key):
        return coded_text(lang, "metric_", dimension_key)
    return text(lang, "scope_none")


def theme_labels(themes: object, lang: str) -> str:
    """Theme keys joined by ``"; "`` as the themes' names in ``lang`` (``-`` when no keyword matched)."""
    keys = [t for t in ("" if is_missing(themes) else str(themes)).split("; ") if t]
    return ", ".join(coded_text(lang, "theme_", k) for k in keys) if keys else MISSING


def status_text(status: object, year: object, lang: str) -> str:
    """A follow-up status with the year it was checked (``done (2024)``), or that none is recorded."""
    if is_missing(status) or str(status) == "":
        return text(lang, "status_none")
    return text(lang, "status_with_year", status=coded_text(lang, "status_", status), year=fmt_int(year))


def recommendations_table(recommendations: pd.DataFrame, lang: str) -> ReaderTable:
    """One year's recommendations: pillar, the text as written (escaped), themes, a theme asked the year
    before too, the latest follow-up and its evidence."""
    frame = recommendations.assign(
        scope=[scope_label(p, d, lang)
               for p, d in zip(recommendations["pillar_key"], recommendations["dimension_key"])],
        theme_text=[theme_labels(t, lang) for t in recommendations["themes"]],
        repeated=[theme_labels(t, lang) for t in recommendations["repeated_themes"]],
        followup=[status_text(s, y, lang) for s, y in zip(recommendations["status_latest"],
                                                          recommendations["status_latest_year"])])
    return reader_table(frame, {"scope": ("text", "col_pillar"), "recommendation": "free",
                                "theme_text": ("text", "col_themes"), "repeated": "text", "followup": "text",
                                "evidence_latest": ("free", "col_evidence")}, lang)


# --------------------------------------------------------------------------- the analysis notebooks' tables


def measure_label(measure: object, lang: str) -> str:
    """A measure's name for a reader: the pillar or dimension name, "Index" for the headline."""
    if measure == "final_score":
        return text(lang, "col_index")
    names = ref.pillar_names()
    if measure in names:
        return names[measure]
    return coded_text(lang, "metric_", measure)


def category_text(value: object) -> str:
    """A category (cohort year, province) as text: ``2017``, never ``2017.0``."""
    if is_missing(value):
        return MISSING
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _time_label(time_col: str) -> str:
    return "col_year" if time_col == "year" else "col_years_in_programme"


def focus_cohort_table(focus: pd.DataFrame, lang: str) -> ReaderTable:
    """Focus regencies against their cohort (rows of :func:`smartcity_utils.analysis.cohorts.focus_vs_cohort`)."""
    frame = focus.assign(measure_text=[measure_label(m, lang) for m in focus["measure"]],
                         cohort_text=[category_text(c) for c in focus["cohort"]])
    return reader_table(frame, {"regency": "text", "year": "year", "measure_text": ("text", "col_measure"),
                                "cohort_text": ("text", "col_cohort"), "score": "score",
                                "cohort_median": "score", "cohort_best": "score", "n_in_cohort": "int",
                                "percentile_in_cohort": ("pct", "col_pct_cohort"),
                                "gap_to_median": ("signed", "col_gap")}, lang)


def kruskal_table(kruskal: pd.DataFrame, time_col: str, lang: str) -> ReaderTable:
    """Kruskal-Wallis across cohorts per measure and time point, p-values as ``< 0.001`` or 3 decimals."""
    frame = kruskal.assign(measure_text=[measure_label(m, lang) for m in kruskal["measure"]])
    return reader_table(frame, {"measure_text": ("text", "col_measure"), time_col: ("whole", _time_label(time_col)),
                                "n_cohorts": "int", "n": ("int", "col_n_values"),
                                "statistic": ("score", "col_statistic"), "p_value": "p", "p_holm": "p"}, lang)


def pairwise_table(pairwise: pd.DataFrame, time_col: str, lang: str, top: int = 15) -> ReaderTable:
    """The ``top`` pairs of cohorts with the largest effect (Cliff's delta, either sign)."""
    order = pairwise["cliffs_delta"].abs().sort_values(ascending=False, kind="stable").index
    frame = pairwise.loc[order[:top]]
    frame = frame.assign(measure_text=[measure_label(m, lang) for m in frame["measure"]],
                         cohort_a=[category_text(c) for c in frame["cohort_a"]],
                         cohort_b=[category_text(c) for c in frame["cohort_b"]],
                         cliffs_interval_low=frame["cliffs_delta_low"], cliffs_interval_high=frame["cliffs_delta_high"])
    # At equal years in the programme the cohorts are seen in different calendar years: the table says which.
    seen = {"calendar_a": "text", "calendar_b": "text"} if time_col != "year" and "calendar_a" in frame else {}
    return reader_table(frame, {"measure_text": ("text", "col_measure"), time_col: ("whole", _time_label(time_col)),
                                "cohort_a": "text", "cohort_b": "text", **seen, "median_a": "score",
                                "median_b": "score", "cliffs_delta": "signed",
                                "cliffs_interval": ("interval", "col_cliffs_interval"), "p_holm": "p"}, lang)


# --------------------------------------------------------------------------- notebook 04's tables


def _group_label(group: object, by: str, lang: str) -> str:
    if by == "pillar":

        if group in ref.PILLAR_KEYS or group in ref.RECOMMENDATION_SCOPES:
            return scope_label(group, None, lang)
        if group in ref.DIMENSION_KEYS:
            return scope_label(None, group, lang)
        return text(lang, "scope_none")
    return category_text(group)


def themes_table(themes: pd.DataFrame, by: str, lang: str) -> ReaderTable:
    """Recommendations per group (rows: pillars, or cohorts) and theme, from
    :func:`smartcity_utils.analysis.recommendations.themes_by`: each group's themes with their counts, the most
    frequent first (a recommendation with several themes counts under each)."""
    groups = list(dict.fromkeys(themes["group"]))
    if by == "pillar":
        order = {k: n for n, k in enumerate(SCOPE_ORDER)}
        groups.sort(key=lambda g: order.get(g, len(order)))
    else:
        groups.sort()
    rows = []
    for group in groups:
        block = themes[themes["group"] == group].groupby("theme_key", sort=False)["n_recommendations"].sum()
        block = block[block > 0].sort_values(ascending=False, kind="stable")
        rows.append({"group": _group_label(group, by, lang),
                     "themes": " · ".join(f"{coded_text(lang, 'theme_', k)} {fmt_int(n)}" for k, n in block.items())})
    frame = pd.DataFrame(rows, columns=["group", "themes"])
    label = "col_pillar" if by == "pillar" else "col_cohort"
    return reader_table(frame, {"group": ("text", label), "themes": ("text", "col_themes_counts")}, lang)


def unthemed_table(unthemed: pd.DataFrame, lang: str) -> ReaderTable:
    """The texts no keyword matched, with how often and where (:func:`...recommendations.without_theme`)."""
    frame = unthemed.assign(scope_text=[_group_label(g, "pillar", lang) for g in unthemed["scope"]])
    return reader_table(frame, {"scope_text": ("text", "col_pillar"), "recommendation": "free",
                                "n_recommendations": "int", "n_regencies": "int", "years": ("text", "col_years")},
                        lang)


def followup_rates_table(rates: pd.DataFrame, lang: str) -> ReaderTable:
    """Follow-up a year later per cohort: counts, and the shares done, in progress and not started with their
    95 % intervals (:func:`smartcity_utils.analysis.recommendations.followup_rates`)."""
    frame = rates.assign(cohort=[category_text(g) for g in rates["group"]],
                         **{f"share_{s}": [fmt_share_interval(*v)
                                           for v in zip(rates[f"share_{s}"], rates[f"share_{s}_low"],
                                                        rates[f"share_{s}_high"])]
                            for s in ("selesai", "proses", "belum")})
    return reader_table(frame, {"cohort": ("text", "col_cohort"), "n_regencies": "int", "n_recommendations": "int",
                                "n_recorded": "int", "share_selesai": "text", "share_proses": "text",
                                "share_belum": "text"}, lang)


def association_table(association: pd.DataFrame, lang: str) -> ReaderTable:
    """Completion against the index change: each term's estimate with its 95 % interval and p-value."""
    frame = association.assign(term_text=[coded_text(lang, "term_", t) for t in association["term"]],
                               interval_low=association["ci_low"], interval_high=association["ci_high"])
    return reader_table(frame, {"term_text": ("text", "col_term"), "estimate": ("signed", "col_assoc_estimate"),
                                "interval": "interval", "p_value": "p", "n_units": "int"}, lang)


# --------------------------------------------------------------------------- the comparison report's tables


def compare_rank_phrases(row: pd.Series, lang: str) -> list[str]:
    """A year's ranks in a comparison cell: the one computed in a group held whole (with the percentile),
    and the published one with its group; nothing when neither exists."""
    out = []
    if pd.notna(row.get("rank_computed")):
        out.append(text(lang, "compare_rank_computed", rank=text(lang, "rank_of", rank=fmt_int(row["rank_computed"]),
                                                                   n=fmt_int(row["n_in_group"])),
                        pct=fmt_pct(row["percentile_in_group"])))
    published = published_rank_text(row, lang)
    if published:
        out.append(text(lang, "compare_rank_published", rank=published))
    return out


def compare_history_table(histories_by_name: dict[str, pd.DataFrame], lang: str) -> ReaderTable:
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
            cells.append(" · ".join([fmt_score(by_year.at[year, "final_score"], lang),
                                     *compare_rank_phrases(by_year.loc[year], lang)]))
        frame[f"r{i}"] = cells
        columns[f"r{i}"] = "text"
        labels[f"r{i}"] = name
    return reader_table(frame, columns, lang, labels=labels)


def compare_pillar_table(scores: pd.DataFrame, lang: str) -> ReaderTable:
    """Pillars by regency (rows of :func:`smartcity_utils.report.compare.pillar_scores`), 2 decimals."""
    names = ref.pillar_names()
    frame = scores.T.reset_index(names="pillar_key")
    frame.insert(0, "pillar", frame["pillar_key"].map(names))
    cols = {f"r{i}": n for i, n in enumerate(scores.index)}
    frame = frame.rename(columns={n: c for c, n in cols.items()})
    return reader_table(frame, {"pillar": "text", **dict.fromkeys(cols, "score")}, lang, labels=cols)


def compare_quick_wins_table(quick_wins: pd.DataFrame, lang: str) -> ReaderTable:
    """The Quick Win programmes of :func:`smartcity_utils.report.compare.quick_wins_latest` and their mean score."""
    return reader_table(quick_wins, {"regency": "text", "year": "year", "pillar": "text",
                                     "programme_name": ("text", "col_programme"), "quick_win_score": "score"}, lang)


def compare_recommendations_table(latest: Mapping[str, pd.DataFrame], lang: str) -> ReaderTable:
    """Themes by regency: the recommendations of :func:`smartcity_utils.report.compare.latest_recommendations`
    side by side.

    A cell lists the recommendations of that theme as written (escaped), each
    with its latest follow-up status where one is recorded; a recommendation
    with several themes appears under each, one without theme under "No theme".
    """
    cells: dict[str, dict[str, list[str]]] = {}
    labels = {f"r{i}": label for i, label in enumerate(latest)}
    for column, recs in zip(labels, latest.values()):
        for row in explode_themes(recs, none_key=NO_THEME).itertuples():
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


# --------------------------------------------------------------------------- notebook 01's tables


def manifest_table(manifest: pd.DataFrame, lang: str) -> ReaderTable:
    """One line per raw file: its layout, the rows read, kept and rejected, the values rejected in kept rows,
    and the columns it ignored (named as the file writes them)."""
    frame = manifest.assign(layout_text=[coded_text(lang, "layout_", v) for v in manifest["layout"]])
    return reader_table(frame, {"source_file": ("code", "col_file"), "layout_text": ("text", "col_layout"),
                                "is_revision": "bool", "rows_read": "int", "rows_kept": "int",
                                "rows_rejected": "int", "values_rejected": "int", "ignored_columns": "free"}, lang)


def layout_year_table(counts: pd.DataFrame, lang: str) -> ReaderTable:
    """Values kept per year (rows) and raw layout (columns), from
    :func:`smartcity_utils.analysis.quality.rows_per_year_and_layout`."""
    frame = counts.reset_index()
    layouts = [c for c in frame.columns if c != "year"]
    names = {layout: f"l{i}" for i, layout in enumerate(layouts)}
    return reader_table(frame.rename(columns=names), {"year": "year", **dict.fromkeys(names.values(), "int")}, lang,
                        labels={n: coded_text(lang, "layout_", layout) for layout, n in names.items()})


def measure_year_table(counts: pd.DataFrame, lang: str) -> ReaderTable:
    """Values kept per pillar or dimension (rows) and year (columns), from
    :func:`smartcity_utils.analysis.quality.values_per_pillar`."""
    frame = counts.reset_index()
    key = frame.columns[0]
    years = [c for c in frame.columns if c != key]
    names = {year: f"y{i}" for i, year in enumerate(years)}
    frame = frame.rename(columns=names).assign(measure_text=[measure_label(m, lang) for m in frame[key]])
    return reader_table(frame, {"measure_text": ("text", "col_measure"), **dict.fromkeys(names.values(), "int")},
                        lang, labels={n: category_text(year) for year, n in names.items()})


def reasons_table(counts: pd.DataFrame, lang: str) -> ReaderTable:
    """Rejected rows and values per reason and layout (:func:`smartcity_utils.analysis.quality.rejects_by_reason`)."""
    frame = counts.assign(reason_text=[coded_text(lang, "reason_", r, "reason_other") for r in counts["reason"]],
                          layout_text=[coded_text(lang, "layout_", v) for v in counts["layout"]])
    return reader_table(frame, {"reason_text": ("text", "col_reason"), "layout_text": ("text", "col_layout"),
                                "n": ("int", "col_count")}, lang)


def corrections_table(rejects: pd.DataFrame, lang: str) -> ReaderTable:
    """The rejected rows and values that ask for a correction: neither replaced by a later answer or a revision
    nor rows that are no regency rows; with file, sheet, row, column, value, reason and the suggested fix."""
    frame = rejects[~rejects["reason"].isin(NOT_REGENCY_ROWS)]
    frame = frame.assign(
        place=[text(lang, "sheet_row", sheet=sheet, row=fmt_int(row)) if sheet
               else text(lang, "row_only", row=fmt_int(row))
               for sheet, row in zip(frame["source_sheet"].fillna(""), frame["source_row"])],
        column_text=[measure_label(c, lang) if c else MISSING for c in frame["column"]],
        reason_text=[coded_text(lang, "reason_", r, "reason_other") for r in frame["reason"]],
        fix=[fix_text(r.reason, nearest_known_name(r.value) if r.reason == "unknown_regency" else "", lang)
             for r in frame.itertuples()])
    return reader_table(frame, {"source_file": ("code", "col_file"), "place": ("text", "col_place"),
                                "column_text": ("text", "col_column"),
                                "value": ("text", "col_value"), "reason_text": ("text", "col_reason"),
                                "fix": ("text", "col_fix")}, lang)


def coverage_table(coverage: pd.DataFrame, lang: str) -> ReaderTable:
    """Members of each cohort and how many have scores per year (:func:`...quality.cohort_coverage`)."""
    frame = coverage.reset_index()
    years = [c for c in frame.columns if c not in ("cohort_year", "members")]
    names = {year: f"y{i}" for i, year in enumerate(years)}
    frame = frame.rename(columns=names).assign(cohort=[category_text(c) for c in frame["cohort_year"]])
    return reader_table(frame, {"cohort": ("text", "col_cohort"), "members": "int",
                                **dict.fromkeys(names.values(), "int")},
                        lang, labels={n: category_text(year) for year, n in names.items()})


def reproduction_table(reproduction: pd.DataFrame, lang: str) -> ReaderTable:
    """Each published figure beside the value in the cleaned data
    (:func:`smartcity_utils.analysis.quality.published_reproduction`)."""
    frame = reproduction.assign(metric_text=[measure_label(m, lang) for m in reproduction["metric"]])
    return reader_table(frame, {"regency": "text", "year": "year", "metric_text": ("text", "col_metric"),
                                "published": "score", "in_data": "score", "published_rank": ("rank", "col_rank"),
                                "rank_in_data": "rank", "matches": "bool"}, lang)
