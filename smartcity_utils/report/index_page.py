"""``reports/index.html``: every rendered report with its badges, and the analysis notebooks.
"""

from __future__ import annotations

import html
import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from smartcity_utils import __version__, paths
from smartcity_utils.report.jobs import INDEX_NAME
from smartcity_utils.tables import atomic_write

_INDEX_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}
.badge{display:inline-block;padding:.1rem .45rem;border-radius:.3rem;font-size:.8rem;font-weight:600}
.sim{background:#fde68a;color:#7c2d12;border:1px solid #d97706}
.failed{background:#fecaca;color:#7f1d1d}
.banner{background:#fde68a;border:2px solid #d97706;padding:.6rem 1rem;margin-bottom:1rem;font-weight:600}
"""


_FIGURE_KEYS_HIDDEN = {"regency", "regency_id", "slug", "simulated", "year"}


def _fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_index(out_dir: str | os.PathLike[str], rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write ``<out_dir>/index.html`` listing every report.

    Args:
        out_dir: The run's output folder.
        rows: One mapping per report with keys ``regency``, ``slug`` and
            optionally ``regency_id``, ``year``, ``status``, ``html``,
            ``notebook``, ``failed_notebook`` (file names relative to
            ``out_dir``) and ``figures`` (the dict from
            :func:`write_report_summary`; ``figures["simulated"]`` shows a
            SIMULATED DATA badge).

    Returns:
        Path of the index page.
    """
    from urllib.parse import quote

    root = Path(out_dir).resolve()
    esc = html.escape
    figure_keys: list[str] = []
    for row in rows:
        for key in (row.get("figures") or {}):
            if key not in _FIGURE_KEYS_HIDDEN and key not in figure_keys:
                figure_keys.append(key)

    def link(name: str | None, label: str) -> str:
        if not name:
            return ""
        # Only file names inside out_dir are linked, and hrefs stay relative.
        if Path(name).name != name:
            raise ValueError(f"index links must be plain file names, got {name!r}")
        return f'<a href="{esc(quote(name))}">{esc(label)}</a>'

    any_simulated = any((row.get("figures") or {}).get("simulated") for row in rows)
    head = "".join(f"<th>{esc(k.replace('_', ' '))}</th>" for k in figure_keys)
    body_rows = []
    for row in rows:
        figures = row.get("figures") or {}
        badges = []
        if figures.get("simulated"):
            badges.append('<span class="badge sim">SIMULATED DATA</span>')
        if row.get("status") == "failed":
            badges.append('<span class="badge failed">FAILED</span>')
        links = " · ".join(
            x
            for x in (
                link(row.get("html"), "report"),
                link(row.get("notebook"), "notebook"),
                link(row.get("failed_notebook"), "failed notebook"),
            )
            if x
        )
        cells = "".join(f"<td>{esc(_fmt_value(figures[k])) if k in figures else ''}</td>" for k in figure_keys)
        year = row.get("year", figures.get("year", ""))
        body_rows.append(
            f"<tr><td>{esc(str(row.get('regency', '')))} {' '.join(badges)}</td>"
            f"<td>{esc(str(row.get('regency_id', '')))}</td><td>{esc(str(year))}</td>"
            f"{cells}<td>{links}</td></tr>"
        )
    # The national analyses (notebooks 01 to 03, exported by `smartcity notebooks`).
    analyses = sorted(p for p in (root / paths.ANALYSIS_DIRNAME).glob("*.html") if re.fullmatch(r"[\w.-]+", p.name))
    analysis_links = " · ".join(
        f'<a href="analysis/{esc(quote(p.name))}">{esc(p.stem.replace("_", " "))}</a>' for p in analyses)
    analysis_section = f"<p>National analyses: {analysis_links}</p>" if analyses else ""
    banner = (
        '<div class="banner">SIMULATED DATA: reports marked with the badge use simulated, '
        "not official, figures.</div>"
        if any_simulated
        else ""
    )
    page = (
        "<!DOCTYPE html>\n<html lang=\"id\"><head><meta charset=\"utf-8\">"
        f"<title>Smart city regency reports</title><style>{_INDEX_CSS}</style></head><body>"
        f"<h1>Smart city regency reports</h1>{banner}"
        f"<p>{len(rows)} reports. Generated {esc(time.strftime('%Y-%m-%d %H:%M'))} "
        f"by smartcity_utils {esc(__version__)}.</p>{analysis_section}"
        f"<table><thead><tr><th>Regency</th><th>ID</th><th>Year</th>{head}<th>Links</th></tr></thead>"
        f"<tbody>{''.join(body_rows)}</tbody></table></body></html>\n"
    )
    path = root / INDEX_NAME
    atomic_write(path, page)
    return path
