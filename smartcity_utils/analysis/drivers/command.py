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
    _GROUP_NAMES,
    _RANK_NAMES,
    _YEAR_NAMES,
    _first_present,
    _infer_pillars,
    _missing_column_message,
    _to_number,
)
from smartcity_utils.analysis.drivers.run import run_driver_analysis
from smartcity_utils.errors import DriverInputError
from smartcity_utils.tables import sniff_delimiter

# 9. Command line
# ---------------------------------------------------------------------------


def _fmt_ci(table: pd.DataFrame | None, pillar: str, digits: int = 3) -> str:
    if table is None:
        return "-"
    row = table.set_index("pillar").loc[pillar]
    return (f"{row['estimate']:.{digits}f} "
            f"[{row['ci_low']:.{digits}f}, {row['ci_high']:.{digits}f}]")


def _text_report(results: dict[str, pd.DataFrame], target: str, pillars: list[str]) -> str:
    model = results["model"].iloc[0]
    summary = results["summary"].set_index("pillar")
    sp = results.get("spearman")
    rows = []
    for p in pillars:
        rows.append([
            p,
            _fmt_ci(results.get("ols"), p),
            _fmt_ci(results.get("dominance"), p),
            _fmt_ci(results.get("main_effect"), p),
            f"{sp.set_index('pillar').at[p, 'estimate']:.3f}" if sp is not None else "-",
            f"{int(summary.at[p, 'consensus_rank'])}",
        ])
    header = ["pillar", "OLS std. coef [CI]", "dominance share [CI]",
              "main effect S_i [CI]", "Spearman", "consensus rank"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = [
        f"Drivers of {target}: n = {int(model['n'])}, R-squared = {model['r2']:.4f}, "
        f"ranks from {model['rank_source']}",
        "",
        "  ".join(h.ljust(w) for h, w in zip(header, widths)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    if model.get("dropped_rows"):
        lines += ["", f"Left out for a missing value (CSV line numbers): {model['dropped_rows']}"]
    lines.append("")
    for _, row in results["summary"].iterrows():
        lines.append(row["statement"])
        if row["disagreement"]:
            lines.append(f"  {row['disagreement']}")
    if len(results["skipped"]):
        lines.append("")
        lines.append("Skipped:")
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
    """Command-line entry: which pillars drive ``target`` in a CSV table.

    The separator (``,`` or ``;``) is sniffed from the first lines. When
    ``pillars`` is ``None``, every numeric column except the target, id-like
    columns (``id``, ``*_id``, names, year, rank) and columns derived from the
    target is a pillar. Columns named ``year``/``tahun``, ``regency_id`` and
    ``rank``/``peringkat`` switch on year effects, the mixed model and the
    rank methods; without a rank column the target's rank is used.

    Args:
        table_path: Path of the CSV file.
        target: Column holding the composite score.
        pillars: Pillar columns, or ``None`` to infer them.
        as_json: Print JSON instead of a text table.
        out: Where to print.
        n_boot: Bootstrap replicates.
        seed: Seed of every bootstrap.

    Returns:
        0 on success.

    Raises:
        DriverInputError: If the table cannot be analysed.
    """
    path = Path(table_path)
    if not path.is_file():
        raise DriverInputError(f"{table_path}: file not found")
    text = path.read_text(encoding="utf-8-sig")
    sep = sniff_delimiter(text)
    df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    if target not in df.columns:
        raise DriverInputError(_missing_column_message(target, list(df.columns), path.name))
    if pillars is None:
        pillars = _infer_pillars(df, target)
        if not pillars:
            raise DriverInputError(f"{path.name}: no numeric pillar columns besides '{target}'")
    year_col = _first_present(df, _YEAR_NAMES)
    group_col = _first_present(df, _GROUP_NAMES)
    rank_col = _first_present(df, _RANK_NAMES)
    if rank_col is not None:
        df[rank_col] = [_to_number(v)[0] for v in df[rank_col]]
    results = run_driver_analysis(
        df, target, pillars, year_col=year_col, group_col=group_col,
        rank_col=rank_col, n_boot=n_boot, seed=seed, source=path.name,
    )
    if as_json:
        model = results["model"].iloc[0]
        payload = {
            "target": target,
            "n": int(model["n"]),
            "r2": None if pd.isna(model["r2"]) else float(model["r2"]),
            "pillars": list(pillars),
            "dropped_rows": [int(r) for r in str(model["dropped_rows"]).split(", ") if r],
            "methods": {
                name: json.loads(table.to_json(orient="records"))
                for name, table in results.items() if name not in ("model",)
            },
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        out.write(_text_report(results, target, list(pillars)))
    return 0
