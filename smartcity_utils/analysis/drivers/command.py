"""``smartcity drivers TABLE.csv``: the driver analysis on any table with one row per unit.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from smartcity_utils.analysis.drivers.inputs import (
    _EVALUATION_GROUP_NAMES,
    _GROUP_NAMES,
    _RANK_NAMES,
    _YEAR_NAMES,
    first_present,
    infer_pillars,
    missing_column_message,
    target_copies,
)
from smartcity_utils.analysis.drivers.run import run_driver_analysis
from smartcity_utils.errors import DriverInputError
from smartcity_utils.tables import sniff_delimiter

#: R-squared at or above which the target is read as an exact formula of the columns: the residual spread is
#: then a hundredth of the target's standard deviation or less, what rounding the target leaves.
EXACT_FORMULA_R2 = 0.9999


def _decimals(values: pd.Series) -> int | None:
    """Most decimals written in a column's cells (None when no cell is a plain number)."""
    shown = [str(v).strip().replace(",", ".") for v in values.tolist()]
    shown = [v for v in shown if v.replace(".", "", 1).lstrip("-").isdigit()]
    return max((len(v.split(".")[1]) if "." in v else 0) for v in shown) if shown else None


def model_notes(results: dict[str, pd.DataFrame], target: str, raw_target: pd.Series) -> dict[str, object]:
    """What the reader must know before the slopes: an exact formula, a non-linear target; in words and values."""
    model = results["model"].iloc[0]
    r2, notes = model["r2"], []
    exact = bool(pd.notna(r2) and r2 >= EXACT_FORMULA_R2)
    if exact:
        d = _decimals(raw_target)
        rounding = (10.0 ** -d) / np.sqrt(12) if d is not None else np.nan
        notes.append(f"R-squared is {r2:.5f}: {target} is a formula of the columns (residual sd "
                     f"{model['residual_sd']:.3g}; rounding {target} to {d} decimals alone gives {rounding:.3g}); "
                     "the slopes are the formula's weights and their intervals come from that rounding, not from "
                     "sampling")
    p = model.get("reset_p", np.nan)
    linear = bool(model.get("linear", True))
    if pd.notna(p):
        notes.append(f"specification test (RESET, squares and cubes of the fitted values): p = {p:.3g}; " + (
            "no sign that the relation is curved" if linear else
            f"{target} is not linear in the columns: the slopes below are a linear summary, not weights"))
    return {"exact_formula": exact, "linear": linear, "reset_p": None if pd.isna(p) else float(p), "notes": notes}


def _text_report(results: dict[str, pd.DataFrame], target: str, left_out: dict[str, str],
                 notes: dict[str, object] | None = None, words: dict[str, Any] | None = None) -> str:
    words = words or {}
    model = results["model"].iloc[0]
    r2 = "n/a" if pd.isna(model["r2"]) else f"{model['r2']:.4f}"
    lines = [f"Which pillars go with {target}: n = {int(model['n'])}, R-squared = {r2}, "
             f"ranks as {model['rank_source']}", ""]
    for note in (notes or {}).get("notes", []):
        lines.append(f"Note: {note}")
    assumptions = words.get("assumptions", {})
    if assumptions:
        lines.append("Assumptions of the lead method: " + "; ".join(assumptions.values()))
    if left_out:
        lines.append("Left out: " + "; ".join(f"{c} ({why})" for c, why in left_out.items()))
    if model.get("dropped_rows"):
        lines.append(f"Rows left out for a missing value (CSV line numbers): {model['dropped_rows']}")
    if model.get("rank_dropped_rows"):
        lines.append("Rows left out of the rank methods for a missing rank or group (CSV line numbers): "
                     f"{model['rank_dropped_rows']}")
    order = results.get("order")
    if isinstance(order, pd.DataFrame) and len(order) > 1:
        steps = "; ".join(f"{r.pillar} > {r.next_pillar} {r.p_above_next:.2f}" for r in order.itertuples()
                          if isinstance(r.next_pillar, str))
        lines.append(f"Order of the lead estimates: {', '.join(order['pillar'])} (this whole order in "
                     f"{100 * order['p_this_order'].iloc[0]:.0f} % of {int(order['n_draws'].iloc[0])} draws, "
                     f"{order['source'].iloc[0]}; share of draws in which each stays above the next: {steps})")
    summary = words.get("summary", results["summary"])
    for row in summary.itertuples():
        lines += ["", f"{getattr(row, 'method_label', row.method)}{' [lead]' if row.is_lead else ''}",
                  f"  estimates: {getattr(row, 'estimand', row.estimand_key)}",
                  f"  answer:    {getattr(row, 'answer', row.answer_key)}", f"  order:     {row.order}",
                  f"  compared:  {getattr(row, 'comparison', row.comparison_key)}"]
    if len(results["skipped"]):
        reasons = words.get("skipped") or [f"{r.code} {r.detail}".strip() for r in results["skipped"].itertuples()]
        lines += ["", "Not run or not estimable:"]
        lines += [f"  {r.method}: {why}" for r, why in zip(results["skipped"].itertuples(), reasons)]
    return "\n".join(lines) + "\n"


def drivers_command(
    table_path: str,
    target: str,
    pillars: list[str] | None,
    as_json: bool,
    out: TextIO = sys.stdout,
    n_boot: int = 200,
    seed: int = 0,
    words: Callable[[dict[str, pd.DataFrame]], dict[str, Any]] | None = None,
) -> int:
    """Command-line entry: which pillars go with ``target`` in a CSV table with one row per unit.

    The separator (``,`` or ``;``) is sniffed from the first lines. When
    ``pillars`` is ``None``, the pillars are inferred from the header
    (:func:`~smartcity_utils.analysis.drivers.inputs.infer_pillars`: every
    column except the target, identifiers and text columns) and then every
    cell is validated: a bad cell stops the run with its column, CSV line
    and value. The columns left out are printed. Columns named
    ``year``/``tahun``, ``regency_id``, ``evaluation_group``/``kelompok`` and
    ``rank``/``peringkat`` switch on year effects, clustered errors and the
    mixed model, within-group ranks, and the rank methods.

    Args:
        table_path: Path of the CSV file.
        target: Column holding the composite score.
        pillars: Pillar columns, or ``None`` to infer them.
        as_json: Print JSON (the closing table's fields and every method table) instead of text.
        out: Where to print.
        n_boot: Bootstrap replicates.
        seed: Seed of every bootstrap.
        words: Puts the results in words (the command layer passes
            :func:`smartcity_utils.report.drivers.result_words` in English):
            ``summary`` (the closing table with its sentences), ``assumptions``
            and ``skipped`` (one reason per method not run). Without it the
            output names the sentences by their keys.

    Returns:
        0 on success.

    Raises:
        DriverInputError: If the table cannot be analysed (one line, saying what to fix).
    """
    path = Path(table_path)
    if not path.is_file():
        raise DriverInputError(f"{table_path}: file not found")
    text = path.read_text(encoding="utf-8-sig")
    sep = sniff_delimiter(text)
    df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    if target not in df.columns:
        raise DriverInputError(missing_column_message(target, list(df.columns), path.name))
    left_out: dict[str, str] = {}
    if pillars is None:
        pillars, left_out = infer_pillars(df, target)
        if not pillars:
            raise DriverInputError(f"{path.name}: no numeric pillar columns besides '{target}'")
    else:
        missing = [c for c in pillars if c not in df.columns]
        if missing:
            raise DriverInputError(missing_column_message(missing[0], list(df.columns), path.name))
        copies = target_copies(df, target, pillars)
        if copies:
            name, fit = next(iter(copies.items()))
            raise DriverInputError(f"{path.name}, column '{name}': (almost) a function of the target '{target}' "
                                   f"(fit {fit:.4f}), a copy of what is to be explained; leave it out of --pillars")
    year_col = first_present(df, _YEAR_NAMES)
    group_col = first_present(df, _GROUP_NAMES)
    rank_col = first_present(df, _RANK_NAMES)
    eval_col = first_present(df, _EVALUATION_GROUP_NAMES)
    rank_groups = [c for c in (year_col, eval_col) if c is not None]
    results = run_driver_analysis(
        df, target, pillars, year_col=year_col, group_col=group_col,
        rank_col=rank_col, n_boot=n_boot, seed=seed, rank_group_cols=rank_groups, source=path.name,
    )
    notes = model_notes(results, target, df[target])
    worded = words(results) if words is not None else {}
    summary = worded.get("summary", results["summary"])
    if as_json:
        model = results["model"].iloc[0]
        payload = {
            "target": target,
            "n": int(model["n"]),
            "r2": None if pd.isna(model["r2"]) else float(model["r2"]),
            "exact_formula": notes["exact_formula"],
            "specification_test": {"test": "RESET", "p_value": notes["reset_p"], "linear": notes["linear"]},
            "notes": notes["notes"],
            "estimate_scale": ("every method's estimate is on the scale its answer reports: regressions in "
                               "target points per column point, dominance a share of R-squared, ordinal logit "
                               "log-odds per SD, rank correlation a correlation"),
            "lead_assumptions": worded.get("assumptions", {}),
            "pillars": list(pillars),
            "left_out": left_out,
            "dropped_rows": [int(r) for r in str(model["dropped_rows"]).split(", ") if r],
            "rank_dropped_rows": [int(r) for r in str(model.get("rank_dropped_rows", "")).split(", ") if r],
            "summary_fields": list(summary.columns),
            "summary": json.loads(summary.to_json(orient="records")),
            "skipped": json.loads(results["skipped"].assign(reason=worded.get("skipped") or "").to_json(
                orient="records")),
            "methods": {
                name: json.loads(table.to_json(orient="records"))
                for name, table in results.items() if name not in ("model", "summary", "skipped")
            },
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        out.write(_text_report(results, target, left_out, notes, worded))
    return 0
