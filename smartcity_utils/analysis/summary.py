"""The one line ``smartcity analyse`` prints on the cached national analysis (:mod:`smartcity_utils.analysis.run`).
"""

from __future__ import annotations

import json
from pathlib import Path

from smartcity_utils import paths
from smartcity_utils.tables import processed_folder


def analysis_summary(path: str | Path | None = None) -> str:
    """One line on the cached analysis: the lead driver method, the panel-shared error in the rank bands and sets,
    and the check of the bands' computation (on panels simulated from the bands' own model: not a test of it).

    The line starts with ``simulated data: `` when the analysis ran on simulated rows.
    """
    meta = json.loads((paths.analysis_dir(processed_folder(path)) / paths.ANALYSIS_META).read_text(encoding="utf-8"))
    prefix = "simulated data: " if meta.get("is_simulated") else ""
    skipped = meta.get("skipped", {})
    if skipped:
        return "\n".join(f"{prefix}{step} skipped: {reason}" for step, reason in skipped.items())
    lead = ("errors-in-variables regression corrected for the assessors' shared error" if meta.get("lead_assumptions")
            else "ordinary regression (no assessor-level scores for the correction)")
    check = meta.get("true_rank_coverage_check", {})
    shared = check.get("shared_error_sd")
    parts = []
    if shared is not None:
        where = ("set by hand" if check.get("shared_error_by_hand") else
                 f"an upper bound from {check.get('shared_error_pairs', 0)} regencies scored in consecutive years")
        parts.append(f"rank bands and 95 % rank sets include a panel-shared error of sd {shared:.3f} ({where})")
    parts.append("no rank bands checked" if check.get("coverage") is None else
                 f"on {check['n_rep']} sets of panels simulated from the bands' own model, 5-95 % bands hold "
                 f"{100 * check['coverage']:.0f} % of true ranks (nominal {100 * check['nominal']:.0f} %): a check "
                 "of the computation, not of the model")
    return f"{prefix}lead driver method: {lead}; " + "; ".join(parts)
