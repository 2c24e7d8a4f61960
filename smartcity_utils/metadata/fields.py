"""Every column of the processed and analysis tables, described once: its type, what it holds, its checks.

A column that means the same in every table it appears in (``regency_id``,
``year``, ``source_row``, ``is_simulated`` ...) is a :class:`Field` of
:data:`FIELDS`; a table that gives one of them another meaning or type says
so where the table is specified (:mod:`smartcity_utils.metadata.resources`,
``Field.but``). The words of a column that the researchers' workbook also
shows live in ``smartcity_utils/data/columns.csv`` (``description_en``) and
are read from there: a field without its own description takes that one, and
no field repeats one (a test holds this).

Types are the pandas dtypes the tables are written with (``int64``, nullable
``Int64``, ``float64``, ``bool``, nullable ``boolean``, ``datetime64[ms]``);
``string`` is text (a Parquet string column), ``object`` a column of mixed
values (true, false or empty).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

from smartcity_utils import reference as ref
from smartcity_utils.values import YEAR_RANGE

#: The types a column may have, each with the pandas dtypes a table of that type is read back with.
TYPES = {
    "int64": ("int64",),
    "Int64": ("Int64",),
    "float64": ("float64",),
    "Float64": ("Float64",),
    "bool": ("bool",),
    "boolean": ("boolean",),
    "string": ("str", "object"),
    "datetime64[ms]": ("datetime64[ms]",),
    "object": ("object",),
}


@dataclass(frozen=True)
class Check:
    """A rule every value of a column keeps (an empty value is ruled by ``nullable`` alone).

    ``kind`` is ``range`` (``values`` = low, high, both included), ``one_of``
    (``values`` = the allowed values), ``at_least`` (``values`` = the
    smallest) or ``not_blank`` (text of one character or more); ``words``
    is how the data model states it.
    """

    kind: str
    values: tuple = ()
    words: str = ""

    def describe(self) -> str:
        if self.words:
            return self.words
        if self.kind == "range":
            low, high = (f"{v:g}" for v in self.values)
            return f"{low} to {high}"
        if self.kind == "one_of":
            return "one of " + ", ".join(f"`{v}`" for v in self.values)
        if self.kind == "at_least":
            return f"{self.values[0]:g} or more"
        return "not blank"


def in_range(low: float, high: float) -> Check:
    return Check("range", (low, high))


def one_of(values, words: str = "") -> Check:
    return Check("one_of", tuple(values), words)


def at_least(value: float) -> Check:
    return Check("at_least", (value,))


NOT_BLANK = Check("not_blank")
SCORE = in_range(*ref.SCORE_SCALE)
YEAR = in_range(*YEAR_RANGE)
PILLAR = one_of(ref.PILLAR_KEYS, "a pillar key")
DIMENSION = one_of(ref.DIMENSION_KEYS, "a dimension key")
STATUS = one_of(ref.RECOMMENDATION_STATUSES)


@dataclass(frozen=True)
class Field:
    """One column: its name, type, what it holds, whether it may be empty, and the rules its values keep."""

    name: str
    type: str
    description: str
    nullable: bool = False
    checks: tuple[Check, ...] = ()

    def but(self, **changes) -> Field:
        """This field as one table has it (another description, type, nullability or checks)."""
        return dataclasses.replace(self, **changes)


@functools.cache
def workbook_descriptions() -> dict[str, str]:
    """``column -> description_en`` of ``smartcity_utils/data/columns.csv`` (the workbook's columns)."""
    table = ref.read_reference("columns.csv")
    return {c: d for c, d in zip(table["column"], table["description_en"]) if d}


def _field(name: str, type: str, description: str | None = None, nullable: bool = False,
           checks: tuple[Check, ...] = ()) -> Field:
    """A field; without ``description``, the one ``columns.csv`` gives the column."""
    if type not in TYPES:
        raise ValueError(f"field {name}: unknown type {type!r}; use one of {', '.join(TYPES)}")
    if description is None:
        description = workbook_descriptions()[name]
    return Field(name, type, description, nullable, checks)


def _score_fields() -> list[Field]:
    pillars = [_field(k, "float64", f"the panel's score of the pillar {name}: the recap's value, else the mean over "
                      "the assessors of the latest stage", nullable=True, checks=(SCORE,))
               for k, name in zip(ref.pillars()["pillar_key"], ref.pillars()["pillar"])]
    dims = [_field(k, "float64", f"the panel's score of the evaluation dimension {name}: the recap's value, else the "
                   "mean over the assessors of the latest stage", nullable=True, checks=(SCORE,))
            for k, name in zip(ref.dimensions()["dimension_key"], ref.dimensions()["dimension"])]
    return pillars + dims


_FIELDS = [
    # --- who and when ---
    _field("regency_id", "int64"),
    _field("regency", "string"),
    _field("province", "string"),
    _field("kind", "string"),
    _field("year", "int64", checks=(YEAR,)),
    _field("stage", "string"),
    _field("assessor", "string", nullable=True),
    _field("level", "string", "panel (a value of a recap or a published letter) or assessor (one assessor's score, "
           "from an assessor sheet or a form answer)", checks=(one_of(("panel", "assessor")),)),
    _field("pillar_key", "string", "the pillar's key (smart_governance ... smart_environment)", checks=(PILLAR,)),
    _field("dimension_key", "string", "the evaluation dimension's key (baseline, output, outcome, impact, "
           "quick_wins)", checks=(DIMENSION,)),
    _field("score", "float64", checks=(SCORE,)),
    _field("cohort_year", "Int64", nullable=True),
    _field("cohort_size", "Int64", "members of the regency's cohort: its published size (cohort_sizes.csv), else "
           "the regencies known to it", nullable=True),
    _field("years_in_programme", "Int64", "years since the regency's cohort joined the programme (year - "
           "cohort_year)", nullable=True),
    _field("evaluation_group", "string", nullable=True),
    _field("group_size", "Int64", nullable=True),
    *_score_fields(),
    # --- the published index and ranks ---
    _field("final_score_reported", "float64", "the headline index (Indeks Smart City, 0 to 4) as a recap or a "
           "published letter gives it", nullable=True, checks=(SCORE,)),
    _field("rank_reported", "Int64", nullable=True, checks=(at_least(1),)),
    _field("rank_of", "Int64", nullable=True),
    _field("rank_scope", "string", nullable=True),
    _field("rank_province_reported", "Int64", "a rank within the province, which sources quote beside the group "
           "rank", nullable=True),
    _field("rank_province_of", "Int64", "the number of regencies the rank within the province counts in",
           nullable=True),
    # --- provenance of a regency-year ---
    _field("n_assessors", "Int64"),
    _field("n_assessors_real", "Int64", "assessors of real rows whose scores were used (this or "
           "n_assessors_simulated is 0: real and simulated rows never meet)"),
    _field("n_assessors_simulated", "Int64", "assessors of simulated rows whose scores were used"),
    _field("n_rows_rejected", "Int64", "raw rows of this regency-year with a fault listed in rejects (a bad or "
           "missing score, an unknown pillar, a duplicate; not the rows replaced by a later answer, a revision or "
           "real data): above 0, the row was built partly without them"),
    _field("n_values_set_aside", "Int64", "simulated scores of this regency-year set aside for real ones (Quick "
           "Win programmes not counted)"),
    _field("source_layout", "string", "the layouts the values came from (recap, assessor, form, published, or "
           "joined as recap+assessor where assessor means fill a recap's gaps)"),
    _field("source_files", "string", "every file that gave the row a value, joined by '; '"),
    _field("source_rows", "string", "the files and rows the values came from, joined by '; ' (rekap.xlsx "
           "(Kaltim) row 5; fakta.csv rows 2, 3)", nullable=True),
    _field("source_url", "string", nullable=True),
    _field("is_simulated", "bool"),
    # --- where a row comes from ---
    _field("layout", "string"),
    _field("source_file", "string"),
    _field("source_sheet", "string"),
    _field("source_row", "int64", checks=(at_least(1),)),
    # --- Quick Wins ---
    _field("programme_name", "string"),
    *(_field(name, "float64", nullable=True, checks=(SCORE,))
      for name in ("score_output", "score_outcome", "score_impact", "score_sustainability")),
    # --- published facts ---
    _field("index", "float64", nullable=True),
    _field("region", "string", "the region as the source names it (a regency or city, a province, a world city, "
           "a label in parentheses)", nullable=True),
    _field("metric", "string", nullable=True),
    _field("value", "float64", nullable=True),
    _field("rank", "Int64", nullable=True),
    # --- the gazetteer ---
    _field("kemendagri_code", "string", "the regency's code of the Ministry of Home Affairs (Kemendagri), where "
           "known (regency_codes.csv); never mixed with bps_code", nullable=True),
    _field("bps_code", "string", "the regency's code of Statistics Indonesia (BPS), where known", nullable=True),
    _field("former_name", "string", "the name before a renaming by law (regency_renames.csv)", nullable=True),
    _field("cohort_source", "string", "where the cohort comes from: a documented cohort (cohorts_known.csv), a "
           "cohort register, or the Angkatan column of the recaps", nullable=True),
    _field("cohort_is_simulated", "boolean", "whether the cohort comes from simulated rows (empty without a "
           "cohort)", nullable=True),
    # --- evaluation groups ---
    _field("n_members", "int64", "the number of regencies the group's letter ranked"),
    _field("cohort_from", "Int64", "the first cohort the group ranked (Angkatan)", nullable=True),
    _field("cohort_to", "Int64", "the last cohort the group ranked", nullable=True),
    _field("source", "string", "the document that gives the group, in words", nullable=True),
    # --- rejects and manifest ---
    _field("column", "string"),
    _field("reason", "string", checks=(NOT_BLANK,)),
    _field("suggestion", "string"),
    _field("raw_folder", "string", "the folder the file was read from"),
    _field("is_revision", "bool", "whether the file is marked as a revision (revisi in its name or its title "
           "rows): its values replace those of unmarked files"),
    _field("sha256", "string", "the SHA-256 of the file's bytes"),
    _field("rows_read", "int64"),
    _field("rows_kept", "int64"),
    _field("rows_rejected", "int64"),
    _field("values_rejected", "int64", "rows of rejects that name the file (faults, replaced rows and notes)"),
    _field("top_reject_reasons", "string", "the most frequent reasons of those rows, with their counts"),
    _field("values_missing", "string", "per column, the cells of kept rows the file leaves empty (smart_branding "
           "3; final_score 1): no fault, counted here rather than listed in rejects"),
    _field("sheets_skipped", "string", "sheets not read as data, and why (instructions or notes, empty, header "
           "only, blank assessor sheet, text only)"),
    _field("hidden_sheets", "string", "sheets Excel hides, not read, each with how it is hidden, its filled rows "
           "and the layout it would have"),
    _field("encoding", "string", "how a CSV file was decoded (utf-8, utf-8-sig, utf-16, cp1252, or utf-8 with "
           "lines in another encoding named); empty for a workbook"),
    _field("ignored_columns", "string", "header cells that name no known column, joined by '; '"),
    _field("code_version", "string", "the version of the code that read the file"),
    # --- recommendations ---
    _field("recommendation_id", "int64", "the recommendation's number, in the order of years, regencies and "
           "pillars"),
    _field("assessors", "string", "the assessors who gave it, joined by '; '", nullable=True),
    _field("recommendation", "string", checks=(NOT_BLANK,)),
    _field("themes", "string"),
    _field("n_themes", "int64", "the number of its themes", checks=(at_least(0),)),
    _field("is_repeated", "bool", "whether one of its themes was given to the same regency the year before too"),
    _field("repeated_themes", "string", "those themes, joined by '; '"),
    _field("status_latest", "string", nullable=True, checks=(STATUS,)),
    _field("status_latest_year", "Int64", "the follow-up year of the latest status", nullable=True),
    _field("n_statements", "int64", "the rows that state the recommendation (the same text from several "
           "assessors, or repeated by a follow-up register)"),
    _field("followup_year", "int64", "the year the status was checked: from the register, else the year of its "
           "date, else the year after the recommendation", checks=(YEAR,)),
    _field("status", "string", "the follow-up status: belum (not started), proses (in progress) or selesai (done)",
           checks=(STATUS,)),
    _field("status_date", "datetime64[ms]", "the date of the status, where given", nullable=True),
    _field("evidence", "string", "a link or a document's name, as written", nullable=True),
    _field("followup_status", "string", "the status at t + 1, where one is recorded", nullable=True,
           checks=(STATUS,)),
    _field("followup_date", "datetime64[ms]", "the date of that status", nullable=True),
    _field("theme_repeated_next_year", "bool", "whether one of its themes is given to the regency again at t + 1"),
    _field("repeated_next_year_themes", "string", "those themes, joined by '; '"),
    _field("n_agencies", "int64", "the number of the regency's agencies (OPD) taking part in the pillar",
           checks=(at_least(0),)),
    # --- the index and ranks of the analysis ---
    _field("final_score_computed", "float64", "the index computed from the five dimension scores with the year's "
           "weights (empty when a dimension score is missing)", nullable=True),
    _field("final_score", "float64", "the headline index: the reported one where a source gives it, else the "
           "computed one", nullable=True),
    _field("final_score_source", "string", "which index final_score is: reported, computed or missing"),
    _field("group_complete", "bool", "whether the evaluation group is held whole: its size known and every member "
           "loaded with an index (ranks are computed only then)"),
    _field("n_loaded", "int64", "members of the group loaded with an index"),
    _field("n_in_group", "float64", nullable=True),
    _field("rank_computed", "float64", nullable=True),
    _field("percentile_year", "float64", "the share of the other regencies of the year (all groups) that score "
           "lower, ties counted half, times 100 (100 = best); only when every group of the year is whole",
           nullable=True),
    _field("percentile_cohort", "float64", "the same within the year and the cohort, when every member of the "
           "cohort (cohort_size) has an index", nullable=True),
    _field("difference", "float64", "final_score_computed - final_score_reported", nullable=True),
    _field("tolerance", "float64", "the largest difference that is rounding: half a unit of the reported index's "
           "last decimal, plus the weighted rounding of the dimension scores"),
    _field("weights_status", "string", "how the year's dimension weights are known: documented, inferred, assumed "
           "or none"),
    _field("verdict", "string", "agrees, differs_documented, differs_weights_unknown, no_reported or no_computed"),
    _field("rank_difference", "Float64", "rank_computed - rank_reported", nullable=True),
    # --- rank uncertainty ---
    _field("panel_model", "string", "which panel error the rank range carries, in words (no band where the group "
           "is not held whole)"),
    _field("rank_median", "float64", "the median rank over the draws of weights and panels", nullable=True),
    _field("rank_p05", "float64", "the 5th percentile of the rank over the draws: the rank range's better end",
           nullable=True),
    _field("rank_p95", "float64", "the 95th percentile of the rank over the draws: the range's worse end",
           nullable=True),
    _field("share_top10", "float64", "the share of draws in which the regency ranks 10th or better",
           nullable=True),
    _field("weight_spread", "float64", "the spread of the drawn dimension weights around the year's"),
    _field("index_se", "float64", "the standard error of the index: the panel's own error and the error a whole "
           "panel makes together", nullable=True),
    _field("set_marginal_low", "float64", "the best rank of the 95 % marginal confidence set for the rank "
           "(Mogstad, Romano, Shaikh and Wilhelm 2024)", nullable=True),
    _field("set_marginal_high", "float64", "the worst rank of that set", nullable=True),
    _field("set_simultaneous_low", "float64", "the best rank of the 95 % simultaneous confidence set (all the "
           "group's sets hold their true ranks at once)", nullable=True),
    _field("set_simultaneous_high", "float64", "the worst rank of that set", nullable=True),
    # --- driver models ---
    _field("estimate", "float64"),
    _field("ci_low", "float64", nullable=True),
    _field("ci_high", "float64", nullable=True),
    _field("method", "string"),
    _field("estimand_key", "string", "the key of the sentence that says what the method estimates (texts.json)"),
    _field("se", "float64", "the estimate's standard error", nullable=True),
    _field("n_units", "int64", "the regency-years (units) the numbers are computed from"),
    _field("n_clusters", "float64", "the regencies the bootstrap resamples whole", nullable=True),
    _field("n_boot", "float64", "bootstrap replicates", nullable=True),
    _field("n_boot_failed", "float64", "bootstrap replicates that could not be estimated", nullable=True),
    _field("coef", "float64", "the regression coefficient (the raw slope)", nullable=True),
    _field("coef_ci_low", "float64", "the lower bound of its 95 % interval", nullable=True),
    _field("coef_ci_high", "float64", "the upper bound of its 95 % interval", nullable=True),
    _field("std_estimate", "float64", "the standardised slope (both sides in standard deviations)", nullable=True),
    _field("std_ci_low", "float64", "the lower bound of its 95 % interval", nullable=True),
    _field("std_ci_high", "float64", "the upper bound of its 95 % interval", nullable=True),
    _field("std_err", "float64", "the coefficient's standard error", nullable=True),
    _field("p_value", "float64", "the p-value of the test against zero", nullable=True),
    _field("vif", "float64", "the pillar's variance inflation factor", nullable=True),
    _field("weight", "float64", "the pillar's weight: the coefficient over the sum of the pillar coefficients (ols), "
           "or the weight the main effects are set beside (main_effect)", nullable=True),
    _field("n", "float64", "the rows used", nullable=True),
    _field("r2", "float64", "the R-squared of the regression", nullable=True),
    _field("errors", "string", "how the standard errors are computed", nullable=True),
    _field("share_of_r2", "float64", "the pillar's part of the R-squared over the R-squared of all pillars "
           "(dominance analysis)", nullable=True),
    _field("share_ci_low", "float64", "the lower bound of its 95 % interval", nullable=True),
    _field("share_ci_high", "float64", "the upper bound of its 95 % interval", nullable=True),
    _field("r2_alone", "float64", "the R-squared of the pillar on its own", nullable=True),
    _field("null_share", "float64", "the share the pillar would have by its correlations alone", nullable=True),
    _field("excess_share", "float64", "the pillar's share beyond that", nullable=True),
    _field("excess_ci_low", "float64", "the lower bound of its 95 % interval", nullable=True),
    _field("excess_ci_high", "float64", "the upper bound of its 95 % interval", nullable=True),
    _field("r2_full", "float64", "the R-squared of all pillars together", nullable=True),
    _field("n_boot_ok", "float64", "bootstrap replicates that could be estimated", nullable=True),
    _field("s_raw", "float64", "the pillar's main effect before the noise correction", nullable=True),
    _field("s_normalised", "float64", "the main effect over the sum of all pillars' main effects", nullable=True),
    _field("weight_source", "string", "where the weight comes from: nominal or ols", nullable=True),
    _field("weight_rank", "float64", "the pillar's place by weight", nullable=True),
    _field("importance_rank", "float64", "the pillar's place by main effect", nullable=True),
    _field("bandwidth", "float64", "the bandwidth of the smoother", nullable=True),
    _field("odds_ratio", "float64", "the odds of a better rank band per within-group standard deviation of the "
           "pillar (ordinal logit)", nullable=True),
    _field("odds_ratio_ci_low", "float64", "the lower bound of its 95 % interval", nullable=True),
    _field("odds_ratio_ci_high", "float64", "the upper bound of its 95 % interval", nullable=True),
    _field("converged", "object", "whether the optimiser converged", nullable=True),
    _field("warnings", "string", "the warnings of the fit", nullable=True),
    _field("bands", "string", "the regency-years per rank band (bottom, middle, top)", nullable=True),
    _field("optimizer", "string", "the optimiser that fitted the model", nullable=True),
    _field("group_var", "float64", "the variance of the regency's random effect (mixed model)", nullable=True),
    _field("n_groups", "float64", "the regencies (groups of the mixed model)", nullable=True),
    # --- the closing table of the driver models ---
    _field("is_lead", "bool", "whether the method is the lead (the errors-in-variables regression, else the "
           "ordinary one)"),
    _field("of_any_table", "bool", "whether the rows are a user's table (smartcity drivers) rather than "
           "regency-years"),
    _field("answer_key", "string", "the key of the sentence that gives the method's answer"),
    _field("top_pillar", "string", "the pillar the method puts first"),
    _field("top_estimate", "float64", "its estimate"),
    _field("top_ci_low", "float64", "the lower bound of its 95 % interval", nullable=True),
    _field("top_ci_high", "float64", "the upper bound of its 95 % interval", nullable=True),
    _field("top_share", "float64", "its share of the R-squared (dominance)", nullable=True),
    _field("top_share_low", "float64", "the lower bound of that share's 95 % interval", nullable=True),
    _field("top_share_high", "float64", "the upper bound of that share's 95 % interval", nullable=True),
    _field("top_odds", "float64", "its odds ratio (ordinal logit)", nullable=True),
    _field("top_odds_low", "float64", "the lower bound of the odds ratio's 95 % interval", nullable=True),
    _field("top_odds_high", "float64", "the upper bound of the odds ratio's 95 % interval", nullable=True),
    _field("n_pillars", "int64", "the pillars the method ranks"),
    _field("n_above_zero", "float64", "pillars whose interval lies above zero (signed methods)", nullable=True),
    _field("n_below_zero", "float64", "pillars whose interval lies below zero (signed methods)", nullable=True),
    _field("order", "string", "the pillars by estimate, largest first"),
    _field("rank_correlation_with_lead", "float64", "the rank correlation of the method's pillar order with the "
           "lead's", nullable=True),
    _field("comparison_key", "string", "the key of the sentence that compares the method with the lead"),
    _field("why_key", "string", "the key of the sentence that gives the reason where it differs (empty where it "
           "agrees)"),
    _field("lead_top_pillar", "string", "the pillar the lead puts first"),
    _field("pillar_correlation", "float64", "the mean correlation between the pillars", nullable=True),
    _field("spread_ratio", "float64", "the largest over the smallest standard deviation of the pillars",
           nullable=True),
    _field("rank_correlation_scaled", "float64", "the rank correlation of the method's order with the lead's "
           "slopes times the pillars' standard deviations", nullable=True),
    _field("scaled_top_pillar", "string", "the pillar those scaled slopes put first"),
    _field("code", "string", "the code of the reason (its sentence is skip_<code> in texts.json)"),
    _field("detail", "string", "a column's name, or the estimator's own message", nullable=True),
    # --- the measurement model ---
    _field("item", "string", "the pillar or dimension key"),
    _field("item_a", "string", "the first item of the pair (a pillar, a dimension, or the headline)"),
    _field("item_b", "string", "the second item of the pair"),
    _field("group", "string", "the year of the rows, or all (every year pooled)"),
    _field("n_ratings", "int64", "the assessor scores"),
    _field("k", "float64", "the harmonic mean panel size"),
    _field("n0", "float64", "the unequal-size coefficient of the ANOVA"),
    _field("ms_between", "float64", "the mean square between regency-years"),
    _field("ms_within", "float64", "the mean square within regency-years"),
    _field("F", "float64", "ms_between / ms_within"),
    _field("df_between", "int64", "degrees of freedom between regency-years"),
    _field("df_within", "float64", "degrees of freedom within regency-years"),
    _field("icc1", "float64", "the share of score variance that lies between regency-years (ICC(1))",
           nullable=True),
    _field("icc1_ci_low", "float64", "the lower bound of its 95 % interval", nullable=True),
    _field("icc1_ci_high", "float64", "the upper bound of its 95 % interval", nullable=True),
    _field("icck", "float64", "the reliability of a panel mean (ICC(k))", nullable=True),
    _field("icck_ci_low", "float64", "the lower bound of its 95 % interval", nullable=True),
    _field("icck_ci_high", "float64", "the upper bound of its 95 % interval", nullable=True),
    _field("var_unit", "float64", "the variance between regency-years", nullable=True),
    _field("var_residual", "float64", "the variance within regency-years (between assessors)", nullable=True),
    _field("rater", "string", "the assessor"),
    _field("leniency", "float64", "the assessor's leniency in score points (the BLUP; above 0: scores higher than "
           "the panel average for the same regency-year)"),
    _field("n_scores", "int64", "the assessor's scores"),
    _field("component", "string", "the variance component: unit (the regency-year), rater, unit:rater (an "
           "assessor's halo within one regency-year), unit:item or residual"),
    _field("variance", "float64", "the component's variance"),
    _field("sd", "float64", "its standard deviation"),
    _field("share", "float64", "its share of the total variance"),
    _field("covariance", "float64", "the covariance of one assessor's measurement error between the two items"),
    _field("n_panels", "int64", "the panels (regency-years with two or more assessors) it is estimated from"),
    _field("df", "int64", "its degrees of freedom (the panel sizes less one, summed)"),
    _field("r", "float64", "the Pearson correlation of the two pillars", nullable=True),
    _field("eigenvalue", "float64", "the component's eigenvalue (of the pillars' correlation matrix)"),
    _field("cumulative_share", "float64", "the share of the components up to this one"),
    _field("n_items", "int64", "the pillars"),
    _field("alpha", "float64", "Cronbach's alpha of the pillar sum", nullable=True),
    _field("alpha_ci_low", "float64", "the lower bound of Feldt's 95 % interval", nullable=True),
    _field("alpha_ci_high", "float64", "the upper bound of Feldt's 95 % interval", nullable=True),
    _field("omega_total", "float64", "McDonald's omega total from a one-factor model", nullable=True),
    _field("omega_converged", "bool", "whether the factor model converged"),
    _field("omega_method", "string", "how omega was estimated"),
    _field("share_equal", "float64", "the share of regency-years whose pillar mean equals the dimension score "
           "(within rounding)", nullable=True),
    _field("mean_abs_difference", "float64", "the mean absolute difference between the pillar mean and the "
           "dimension score", nullable=True),
    _field("correlation", "float64", "their correlation", nullable=True),
    # --- sensitivity of the ranks to the weights ---
    _field("input", "string", "the Sobol input: w_<dimension>, the dimension's weight before the weights are "
           "normalised"),
    _field("lower", "float64", "the lower bound of the input's range"),
    _field("upper", "float64", "the upper bound of the input's range"),
    _field("S1", "float64", "the first-order Sobol index: the share of the output's variance due to the input "
           "alone", nullable=True),
    _field("S1_conf", "float64", "the half-width of its bootstrap interval", nullable=True),
    _field("ST", "float64", "the total Sobol index: the share due to the input with its interactions",
           nullable=True),
    _field("ST_conf", "float64", "the half-width of its bootstrap interval", nullable=True),
    _field("S1_ci_low", "float64", "the lower bound of S1's 95 % interval", nullable=True),
    _field("S1_ci_high", "float64", "the upper bound of S1's 95 % interval", nullable=True),
    _field("ST_ci_low", "float64", "the lower bound of ST's 95 % interval", nullable=True),
    _field("ST_ci_high", "float64", "the upper bound of ST's 95 % interval", nullable=True),
    _field("output_mean", "float64", "the mean of the output over the draws: the mean absolute shift of the "
           "regency-years' percentile ranks within their groups, in percentile points"),
    _field("top_resolved", "bool", "whether the input with the largest S1 is told apart from the second (their "
           "intervals do not overlap)"),
    _field("scenario", "string", "the weight set: year_weights (the year's own) or a published set "
           "(weight_scenarios.csv)"),
    _field("max_weight_difference", "float64", "the largest difference of one weight from the year's, in weight "
           "points"),
    _field("share_of_draws_reaching", "float64", "the share of the rank range's weight draws that move every "
           "differing weight at least as far towards the set"),
]

#: Every field by name.
FIELDS: dict[str, Field] = {f.name: f for f in _FIELDS}
if len(FIELDS) != len(_FIELDS):
    raise ValueError("smartcity_utils.metadata.fields: a field is defined twice")


def field(name: str) -> Field:
    """The field ``name`` as most tables have it."""
    return FIELDS[name]
