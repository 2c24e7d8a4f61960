"""``smartcity drivers TABLE.csv``: the driver analysis on any table with one row per unit.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import TextIO

import pandas as pd

from smartcity_utils.analysis.drivers.inputs import (
    _EVALUATION_GROUP_NAMES,
    _GROUP_NAMES,
    _RANK_NAMES,
    _YEAR_NAMES,
    _first_present,
    _missing_column_message,
    infer_pillars,
)
from smartcity_utils.analysis.drivers.run import run_driver_analysis
from smartcity_utils.analysis.drivers.summary import SUMMARY_COLUMNS
from smartcity_utils.errors import DriverInputError
from smartcity_utils.tables import sniff_delimiter

# 9. Command line
# ---------------------------------------------------------------------------


def _text_report(results: dict[str, pd.DataFrame], target: str, left_out: dict[str, str]) -> str:
    model = results["model"].iloc[0]
    r2 = "n/a" if pd.isna(model["r2"]) else f"{model['r2']:.4f}"
    lines = [f"Which pillars go with {target}: n = {int(model['n'])}, R-squared = {r2}, "
             f"ranks as {model['rank_source']}", ""]
    if left_out:
        lines.append("Left out: " + "; ".join(f"{c} ({why})" for c, why in left_out.items()))
    if model.get("dropped_rows"):
        lines.append(f"Rows left out for a missing value (CSV line numbers): {model['dropped_rows']}")
    if model.get("rank_dropped_rows"):
        lines.append("Rows left out of the rank methods for a missing rank or group (CSV line numbers): "
                     f"{model['rank_dropped_rows']}")
    for row in results["summary"].itertuples():
        lines += ["", f"{row.method_label}{' [lead]' if row.is_lead else ''}",
                  f"  estimates: {row.estimand}", f"  answer:    {row.answer}", f"  order:     {row.order}",
                  f"  compared:  {row.comparison}"]
    if len(results["skipped"]):
        lines += ["", "Not run or not estimable:"]
        lines += [f"  {r.method}: {r.reason}" for r in results["skipped"].itertuples()]
    return "\n".join(lines) + "\n"


def drivers_command(
    table_path: str,
    target: str,
    pillars: list[str] | None,
    as_json: bool,
    out: TextIO = sys.stdout,
    n_boot: int = 200,
    seed: int = 0,
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
        raise DriverInputError(_missing_column_message(target, list(df.columns), path.name))
    left_out: dict[str, str] = {}
    if pillars is None:
        pillars, left_out = infer_pillars(df, target)
        if not pillars:
            raise DriverInputError(f"{path.name}: no numeric pillar columns besides '{target}'")
    year_col = _first_present(df, _YEAR_NAMES)
    group_col = _first_present(df, _GROUP_NAMES)
    rank_col = _first_present(df, _RANK_NAMES)
    eval_col = _first_present(df, _EVALUATION_GROUP_NAMES)
    rank_groups = [c for c in (year_col, eval_col) if c is not None]
    results = run_driver_analysis(
        df, target, pillars, year_col=year_col, group_col=group_col,
        rank_col=rank_col, n_boot=n_boot, seed=seed, rank_group_cols=rank_groups, source=path.name,
    )
    if as_json:
        model = results["model"].iloc[0]
        payload = {
            "target": target,
            "n": int(model["n"]),
            "r2": None if pd.isna(model["r2"]) else float(model["r2"]),
            "pillars": list(pillars),
            "left_out": left_out,
            "dropped_rows": [int(r) for r in str(model["dropped_rows"]).split(", ") if r],
            "rank_dropped_rows": [int(r) for r in str(model.get("rank_dropped_rows", "")).split(", ") if r],
            "summary_fields": SUMMARY_COLUMNS,
            "summary": json.loads(results["summary"].to_json(orient="records")),
            "skipped": json.loads(results["skipped"].to_json(orient="records")),
            "methods": {
                name: json.loads(table.to_json(orient="records"))
                for name, table in results.items() if name not in ("model", "summary", "skipped")
            },
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        out.write(_text_report(results, target, left_out))
    return 0
