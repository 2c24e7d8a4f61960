"""One specification per table that ``smartcity clean`` and ``smartcity analyse`` write.

A :class:`Resource` names its table, its stage (``processed``: written by
``clean`` into ``data/processed/``; ``analysis``: written by ``analyse``
into ``data/processed/analysis/``), says in one sentence what a row is, and
lists its columns in the order they are written (:class:`Field`), its key
and the checks that span columns. From it come the pandera schemas of the
cleaning (:mod:`smartcity_utils.clean.schemas`), the column order the
cleaning writes (:mod:`smartcity_utils.clean.assemble`), the tables a report
reads (``read_by_reports``: :mod:`smartcity_utils.report.profile`) and the
tables of ``docs/data_model.md`` (:mod:`smartcity_utils.metadata.docs`).

A new column is added here (and in the code that fills it); a new table
too. ``tests/test_metadata.py`` holds every specification to the tables
the bundled example writes: names, order, types, empty values, keys.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smartcity_utils import paths
from smartcity_utils import reference as ref
from smartcity_utils.metadata.fields import DIMENSION, FIELDS, PILLAR, Field, one_of

#: The stages that write tables, and the folder of each under the processed folder.
STAGES = ("processed", "analysis")


@dataclass(frozen=True)
class TableCheck:
    """A rule that spans columns: ``test`` returns, per row, whether the row keeps it."""

    description: str
    test: Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class Resource:
    """One table: what a row is, its columns in order, its key and its checks.

    Attributes:
        name: The table's name (its files are ``<name>.parquet`` and ``<name>.csv``).
        stage: ``processed`` or ``analysis``.
        description: One sentence: what the table holds, one row per what. None for a table the researchers'
            workbook shows as a sheet of the same name: its words are those of ``data/explore_tables.csv``.
        columns: The columns, in the order they are written.
        primary_key: The columns that identify a row; empty when no set of columns does. Checked as unique in
            the cleaning's schemas (processed tables) and on the bundled example (every table).
        checks: Rules that span columns (processed tables: checked by the cleaning's schemas).
        read_by_reports: Whether every regency's report reads the table (:mod:`smartcity_utils.report.profile`).
    """

    name: str
    stage: str
    description: str | None
    columns: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    checks: tuple[TableCheck, ...] = ()
    read_by_reports: bool = False

    def __post_init__(self) -> None:
        names = self.column_names
        if self.stage not in STAGES:
            raise ValueError(f"table {self.name}: stage {self.stage!r} is not one of {STAGES}")
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: a column is listed twice")
        missing = [c for c in self.primary_key if c not in names]
        if missing:
            raise ValueError(f"table {self.name}: its key names columns it does not have: {missing}")

    @property
    def column_names(self) -> list[str]:
        """The columns in the order they are written."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Field:
        return next(c for c in self.columns if c.name == name)

    def folder(self, processed: str | Path) -> Path:
        """The folder of the table's files, for the processed folder ``processed``."""
        return paths.analysis_dir(processed) if self.stage == "analysis" else Path(processed)

    def file(self, processed: str | Path, suffix: str = ".parquet") -> Path:
        """The table's file (Parquet by default) for the processed folder ``processed``."""
        return paths.table_file(self.folder(processed), self.name, suffix)

    def typed(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with every column of a number, date or true/false type cast to that type where it is not
        (a table built from no rows has ``object`` columns); text columns are left as they are."""
        casts = {c.name: c.type for c in self.columns
                 if c.type not in ("string", "object") and str(frame[c.name].dtype) != c.type}
        return frame.astype(casts) if casts else frame

    def empty(self) -> pd.DataFrame:
        """The table without rows: its columns in order, each of its type."""
        dtypes = {c.name: ("str" if c.type == "string" else c.type) for c in self.columns}
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in dtypes.items()})


def _columns(*items: str | Field | list[Field]) -> tuple[Field, ...]:
    """Columns from field names (the field as :data:`FIELDS` has it), fields, or lists of fields."""
    out: list[Field] = []
    for item in items:
        if isinstance(item, str):
            out.append(FIELDS[item])
        elif isinstance(item, Field):
            out.append(item)
        else:
            out.extend(item)
    return tuple(out)


def _f(name: str, **changes) -> Field:
    """The field ``name`` as one table has it."""
    return FIELDS[name].but(**changes)


#: The scores of a regency-year: the six pillars, then the five evaluation dimensions.
SCORE_COLUMNS = [FIELDS[k] for k in ref.PILLAR_KEYS + ref.DIMENSION_KEYS]

#: Where a kept row comes from in the raw files.
SOURCE = ["source_file", "source_sheet", "source_row"]

_REGENCY_YEAR = _columns(
    "regency_id", "regency", "province", "kind", "cohort_year", "cohort_size", "years_in_programme",
    "evaluation_group", "group_size", "year", SCORE_COLUMNS,
    "final_score_reported", "rank_reported", "rank_of", "rank_scope", "rank_province_reported", "rank_province_of",
    "n_assessors", "n_assessors_real", "n_assessors_simulated", "n_rows_rejected", "n_values_set_aside",
    "source_layout", "source_files", "source_rows", "source_url", "is_simulated")

_SCOPE = one_of(ref.PILLAR_KEYS + ref.RECOMMENDATION_SCOPES, "a pillar key, `all` or `masterplan`")


def _pillar_or_dimension(d: pd.DataFrame) -> pd.Series:
    return d["pillar_key"].isna() ^ d["dimension_key"].isna()


PROCESSED = (
    Resource(
        "scores", "processed",
        "Every score read, tidy: one row per pillar or dimension score of a panel (a recap, a published letter) or "
        "of one assessor (an assessor sheet, a form answer).",
        _columns("regency_id", "regency", "province", "kind", "year", "stage", "assessor", "level",
                 _f("pillar_key", nullable=True), _f("dimension_key", nullable=True), "score", "is_simulated",
                 "layout", *SOURCE),
        checks=(TableCheck("each score is for a pillar or a dimension", _pillar_or_dimension),),
        read_by_reports=True),
    Resource(
        "regency_year", "processed",
        "One row per regency and year: the panel's pillar and dimension scores, the published index and rank with "
        "their group, and where the values came from.",
        _REGENCY_YEAR, primary_key=("regency_id", "year")),
    Resource(
        "quick_wins", "processed", None,
        _columns("regency_id", "regency", "province", "year", "pillar_key", "programme_name", "score_output",
                 "score_outcome", "score_impact", "score_sustainability", "is_simulated", *SOURCE),
        primary_key=tuple(SOURCE), read_by_reports=True),
    Resource(
        "published_facts", "processed", None,
        _columns(_f("index", type="string", description="the index the figure belongs to: GMSC_eval (the evaluation "
                    "itself), GMSC_programme (facts of the programme), IKCI, IMD_SCI or SPBE"),
                 "year", "region",
                 _f("regency_id", type="Int64", nullable=True,
                    description="the regency's identifier where the region is a regency or city (empty otherwise)"),
                 "metric", "value", "rank",
                 _f("rank_of", description="the size of the group the published rank counts in, as published"),
                 "rank_scope", "source_url",
                 _f("is_simulated", description="False: published figures are real"),
                 "source_file", "source_row"),
        read_by_reports=True),
    Resource(
        "regencies", "processed",
        "The gazetteer: one row per regency and city of Indonesia (514), with its codes and its cohort where "
        "known.",
        _columns("regency_id", "regency", "province", "kind", "kemendagri_code", "bps_code", "former_name",
                 "cohort_year", "cohort_source", "cohort_is_simulated"),
        primary_key=("regency_id",)),
    Resource(
        "evaluation_groups", "processed",
        "One row per evaluation group a year's letters ranked: the documented groups first, then those of the "
        "group registers.",
        _columns("year", _f("evaluation_group", nullable=False, description="the group's name, as the regency rows "
                             "give it in Kelompok"),
                 "n_members", "rank_scope", "cohort_from", "cohort_to", "source", "source_url",
                 "is_simulated",
                 _f("source_file", description="the file the group comes from "
                    "(smartcity_utils/data/evaluation_groups.csv for the documented ones)"),
                 "source_row"),
        primary_key=("year", "evaluation_group")),
    Resource(
        "rejects", "processed", None,
        _columns("source_file", "source_sheet", "source_row", "column",
                 _f("value", type="string", description="the value as read, as text (a formula, a reference to a "
                    "row, the text of a rejected row)"),
                 "reason", "suggestion", "layout",
                 _f("regency_id", type="Int64", nullable=True,
                    description="the regency the cleaner resolved the row to; empty where its name is unknown, blank "
                    "or ambiguous, or the row is no regency's")),
        read_by_reports=True),
    Resource(
        "manifest", "processed", None,
        _columns("source_file", "raw_folder", "layout", "is_revision", "sha256", "rows_read", "rows_kept",
                 "rows_rejected", "values_rejected", "top_reject_reasons", "values_missing", "sheets_skipped",
                 "hidden_sheets", "encoding", "ignored_columns", "code_version"),
        primary_key=("source_file",),
        checks=(TableCheck("every raw row is kept or rejected: rows_read = rows_kept + rows_rejected",
                           lambda d: d["rows_read"] == d["rows_kept"] + d["rows_rejected"]),),
        read_by_reports=True),
    Resource(
        "recommendations", "processed", None,
        _columns("recommendation_id", "regency_id", "regency", "province", "year", _f("stage", nullable=True),
                 "assessors",
                 _f("pillar_key", nullable=True, checks=(_SCOPE,), description="a pillar key, all (every pillar) or "
                    "masterplan; empty for a remark on a dimension row, or where the register does not say"),
                 _f("dimension_key", nullable=True, description="the dimension of a remark on a dimension row"),
                 "recommendation", "themes", "n_themes", "is_repeated", "repeated_themes", "status_latest",
                 "status_latest_year", "n_statements", "is_simulated", "layout",
                 _f("source_file", description="the raw file of the first row stating it"),
                 _f("source_sheet", description="the sheet of that row"),
                 _f("source_row", description="that row"),
                 _f("source_rows", nullable=False, description="every row stating it, joined by '; '")),
        primary_key=("recommendation_id",),
        checks=(TableCheck("a recommendation is for a pillar (or all, or the masterplan) or a dimension",
                           lambda d: d["pillar_key"].isna() | d["dimension_key"].isna()),),
        read_by_reports=True),
    Resource(
        "recommendation_status", "processed",
        "One row per follow-up status kept: a recommendation's status in a follow-up year.",
        _columns("recommendation_id", "regency_id", "year", "followup_year", "status", "status_date", "evidence",
                 "is_simulated", *SOURCE),
        primary_key=("recommendation_id", "followup_year"),
        checks=(TableCheck("a follow-up comes after its recommendation: followup_year >= year",
                           lambda d: d["followup_year"] >= d["year"]),),
        read_by_reports=True),
    Resource(
        "recommendation_followup", "processed",
        "One row per recommendation of year t, with its follow-up status at t + 1 where one is recorded and "
        "whether its themes come back.",
        _columns("recommendation_id", "regency_id", "regency", "province", "year",
                 _f("pillar_key", nullable=True, checks=(_SCOPE,), description="as in recommendations"),
                 _f("dimension_key", nullable=True, description="as in recommendations"),
                 "recommendation", "themes",
                 _f("followup_year", checks=(), description="the year after the recommendation (t + 1)"),
                 "followup_status", "followup_date", "evidence", "theme_repeated_next_year",
                 "repeated_next_year_themes", "is_simulated",
                 _f("source_file", nullable=True, description="the raw file of the status row"),
                 _f("source_sheet", nullable=True, description="the sheet of the status row"),
                 _f("source_row", type="Int64", nullable=True, description="the status row")),
        primary_key=("recommendation_id",)),
    Resource(
        "agencies", "processed",
        "One row per regency, year and pillar: how many of the regency's agencies (OPD) take part in the pillar.",
        _columns("regency_id", "regency", "province", "year", "pillar_key", "n_agencies", "is_simulated", *SOURCE),
        primary_key=("regency_id", "year", "pillar_key")),
)


ANALYSIS = (
    Resource(
        "index_ranks", "analysis",
        "One row per regency and year: the columns of regency_year, then the computed index, the headline index "
        "used, and the ranks and percentiles computed where the comparison set is held whole.",
        _REGENCY_YEAR + _columns("final_score_computed", "final_score", "final_score_source", "group_complete",
                                 "n_loaded", "n_in_group", "rank_computed", "percentile_year", "percentile_cohort"),
        primary_key=("regency_id", "year"), read_by_reports=True),
    Resource(
        "reconciliation", "analysis",
        "One row per regency-year: the computed index against the reported one, within the rounding of the source "
        "or not, and the computed rank against the published one.",
        _columns("regency_id", "regency", "year", "final_score_reported", "final_score_computed", "difference",
                 "tolerance", _f("status", checks=(one_of(("ok", "mismatch", "no_reported", "no_computed")),),
                                 description="ok (within the tolerance), mismatch, no_reported (no published index) "
                                 "or no_computed (a dimension score is missing)"),
                 "weights_status", "verdict", "rank_reported", "rank_computed", "is_simulated", "rank_difference"),
        primary_key=("regency_id", "year"), read_by_reports=True),
    Resource(
        "rank_uncertainty", "analysis",
        "One row per regency-year: the range of its rank over plausible weights and panels (Monte Carlo), and the "
        "confidence sets for its rank.",
        _columns("regency_id", "regency", "province", "year", "evaluation_group", "panel_model", "rank_median",
                 "rank_p05", "rank_p95", "share_top10", "weight_spread", "index_se", "set_marginal_low",
                 "set_marginal_high", "set_simultaneous_low", "set_simultaneous_high", "is_simulated"),
        primary_key=("regency_id", "year"), read_by_reports=True),
    Resource(
        "drivers", "analysis",
        "One row per driver method and pillar: the method's estimate of how the pillar goes with the index, with "
        "the numbers the method reports beside it (a column a method does not report is empty).",
        _columns(Field("pillar", "string", "the pillar's key", checks=(PILLAR,)),
                 _f("estimate", description="the method's estimate for the pillar (what it estimates: estimand_key in "
                    "drivers_summary)"),
                 "ci_low", "ci_high", "se", "method", _f("n_units", type="float64", nullable=True), "n_clusters",
                 "n_boot", "n_boot_failed", "coef", "coef_ci_low", "coef_ci_high", "std_estimate", "std_ci_low",
                 "std_ci_high", "std_err", "p_value", "vif", "weight", "n", "r2", "errors", "share_of_r2",
                 "share_ci_low", "share_ci_high", "r2_alone", "null_share", "excess_share", "excess_ci_low",
                 "excess_ci_high", "r2_full", "n_boot_ok", "s_raw", "s_normalised", "weight_source", "weight_rank",
                 "importance_rank", "bandwidth", "odds_ratio", "odds_ratio_ci_low", "odds_ratio_ci_high",
                 "converged", "warnings", "bands", "optimizer", "group_var", "n_groups", "is_simulated"),
        primary_key=("method", "pillar")),
    Resource(
        "driver_estimates", "analysis", None,
        _columns("pillar_key", "estimate", "ci_low", "ci_high", "method", "estimand_key", "is_simulated"),
        primary_key=("pillar_key",), read_by_reports=True),
    Resource(
        "drivers_summary", "analysis",
        "One row per driver method that ran: what it estimates, the pillar it puts first, and how its order "
        "compares with the lead method's.",
        _columns("method", "is_lead", "estimand_key", "of_any_table", "answer_key", "top_pillar", "top_estimate",
                 "top_ci_low", "top_ci_high", "top_share", "top_share_low", "top_share_high", "r2_full", "top_odds",
                 "top_odds_low", "top_odds_high", "n_pillars", "n_above_zero", "n_below_zero", "order",
                 "rank_correlation_with_lead", "comparison_key", "why_key", "lead_top_pillar", "pillar_correlation",
                 "spread_ratio", "rank_correlation_scaled", "scaled_top_pillar", "is_simulated"),
        primary_key=("method",)),
    Resource(
        "drivers_skipped", "analysis",
        "One row per driver method or step that did not run, with the reason.",
        _columns(_f("method", description="the method or step"), "code",
                 _f("n", type="Int64", description="the count the reason quotes"), "detail")),
    Resource(
        "pillar_correlation", "analysis",
        "One row per year (and all years pooled) and pair of pillars: their Pearson correlation over the "
        "regency-years.",
        _columns("group", _f("item_a", description="the first pillar"), _f("item_b", description="the second pillar"),
                 "r", "n_units", "is_simulated"),
        primary_key=("group", "item_a", "item_b")),
    Resource(
        "pillar_pca", "analysis",
        "One row per year (and all years pooled) and principal component of the pillars' correlation matrix: the "
        "share of the variance it carries.",
        _columns("group", _f("component", type="int64", description="the component's number (1 = largest)"),
                 "eigenvalue", _f("share", description="its share of the total standardised variance"),
                 "cumulative_share", "n_units", "is_simulated"),
        primary_key=("group", "component")),
    Resource(
        "pillar_reliability", "analysis",
        "One row per year (and all years pooled): how consistently the six pillars measure one thing (Cronbach's "
        "alpha, McDonald's omega).",
        _columns("group", "n_units", "n_items", "alpha", "alpha_ci_low", "alpha_ci_high", "omega_total",
                 "omega_converged", "omega_method", "is_simulated"),
        primary_key=("group",)),
    Resource(
        "icc", "analysis",
        "One row per pillar and dimension: how much of the assessors' score variance lies between regency-years, "
        "and how reliable a panel mean is (one-way ANOVA intraclass correlations).",
        _columns("item", "n_units", "n_ratings", "k", "n0", "ms_between", "ms_within", "F", "df_between", "df_within",
                 "icc1", "icc1_ci_low", "icc1_ci_high", "icck", "icck_ci_low", "icck_ci_high", "var_unit",
                 "var_residual", _f("kind", checks=(one_of(("pillar", "dimension")),),
                                    description="pillar or dimension"), "is_simulated"),
        primary_key=("item",)),
    Resource(
        "assessor_leniency", "analysis",
        "One row per assessor: how much higher or lower the assessor scores than the panel for the same "
        "regency-year (a crossed random-effects model).",
        _columns("rater", "leniency", "se", "n_scores", _f("n_units", description="the regency-years the assessor "
                                                             "scored"), "is_simulated"),
        primary_key=("rater",)),
    Resource(
        "assessor_variance", "analysis",
        "One row per variance component of the assessors' scores (regency-year, assessor, halo, item, residual).",
        _columns("component", "variance", "sd", "share", _f("converged", type="bool", nullable=False,
                                                            description="whether the model converged"),
                 "is_simulated"),
        primary_key=("component",)),
    Resource(
        "error_covariance", "analysis",
        "One row per pair of items (pillars and the assessor's headline): the covariance of one assessor's "
        "measurement error between them, pooled over the panels.",
        _columns("item_a", "item_b", "covariance", "n_panels", "df", "is_simulated"),
        primary_key=("item_a", "item_b")),
    Resource(
        "rank_sensitivity", "analysis",
        "One row per year and dimension weight: its Sobol indices for the shift of the ranks under other weights.",
        _columns("input", "lower", "upper", "S1", "S1_conf", "ST", "ST_conf", "S1_ci_low", "S1_ci_high", "ST_ci_low",
                 "ST_ci_high", "year", "output_mean", "top_resolved", "is_simulated"),
        primary_key=("year", "input")),
    Resource(
        "weight_scenarios", "analysis",
        "One row per regency-year and weight set: the index and rank under the year's own weights and under each "
        "published set of weights.",
        _columns("regency_id", "year", "evaluation_group", "scenario",
                 _f("index", description="the index under the weight set (empty without every dimension score or "
                    "outside a group held whole)"),
                 _f("rank", type="float64", description="the rank under the weight set, within the evaluation "
                    "group held whole (empty otherwise)"),
                 "is_simulated"),
        primary_key=("regency_id", "year", "scenario")),
    Resource(
        "weight_scenario_sets", "analysis",
        "One row per year and published weight set: how far it lies from the year's weights, and how often the "
        "rank range's weight draws reach it.",
        _columns("year", "scenario", "max_weight_difference", "share_of_draws_reaching",
                 _f("is_simulated", description="False: computed from the reference weights alone")),
        primary_key=("year", "scenario")),
    Resource(
        "pillar_mean_dimensions", "analysis",
        "One row per year (and all years pooled) and dimension: how close the mean of the six pillar scores comes "
        "to the dimension score.",
        _columns("group", Field("dimension", "string", "the dimension's key", checks=(DIMENSION,)),
                 "n_units", "share_equal", "mean_abs_difference", "correlation", "is_simulated"),
        primary_key=("group", "dimension")),
)


@functools.cache
def workbook_table_descriptions() -> dict[str, str]:
    """``table -> description_en`` of ``smartcity_utils/data/explore_tables.csv`` (the workbook's sheets)."""
    table = ref.read_reference("explore_tables.csv")
    return dict(zip(table["table"], table["description_en"]))


def _described(resource: Resource) -> Resource:
    """A table without its own description takes the workbook's sheet of the same name's."""
    if resource.description is not None:
        return resource
    from dataclasses import replace

    return replace(resource, description=workbook_table_descriptions()[resource.name])


#: Every table of the package, processed then analysis, each in the order its stage writes them.
RESOURCES: tuple[Resource, ...] = tuple(_described(r) for r in PROCESSED + ANALYSIS)

_BY_NAME = {r.name: r for r in RESOURCES}
if len(_BY_NAME) != len(RESOURCES):
    raise ValueError("smartcity_utils.metadata.resources: a table is specified twice")


def register(spec: Resource) -> Resource:
    """Add a table (the table of a layout kept outside the package); returns it.

    It is written after the tables of its stage specified before it (:func:`resources`).

    Raises:
        ValueError: a table of that name is specified already.
    """
    if spec.name in _BY_NAME:
        raise ValueError(f"table {spec.name!r} is specified already")
    spec = _described(spec)
    _BY_NAME[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove the table ``name`` (a table registered for a while, as a test does); the package's own stay.

    Raises:
        KeyError: no table of that name was registered.
        ValueError: the table is one of the package's own.
    """
    if any(r.name == name for r in RESOURCES):
        raise ValueError(f"table {name!r} is one of the package's own and cannot be removed")
    del _BY_NAME[name]


def resource(name: str) -> Resource:
    """The specification of table ``name``.

    Raises:
        KeyError: naming the tables there are.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no table {name!r}; the tables are {', '.join(_BY_NAME)}") from None


def resources(stage: str | None = None) -> tuple[Resource, ...]:
    """The tables of ``stage`` (``processed`` or ``analysis``; every table when None: processed then analysis), in
    the order written (a registered table after those specified before it)."""
    stages = STAGES if stage is None else (stage,)
    return tuple(r for s in stages for r in _BY_NAME.values() if r.stage == s)


def table_names(stage: str | None = None) -> tuple[str, ...]:
    """The names of :func:`resources`."""
    return tuple(r.name for r in resources(stage))


def column_names(name: str) -> list[str]:
    """The columns of table ``name`` in the order they are written."""
    return resource(name).column_names


def report_tables() -> tuple[Resource, ...]:
    """The tables every regency's report reads (``read_by_reports``), processed then analysis."""
    return tuple(r for r in resources() if r.read_by_reports)

