"""``reports/index.html``: every report present in the folder, sortable and filterable, offline.

The page is rebuilt from the folder itself (reports, summaries, failed
notebooks), so rendering one report never drops the others from the list.
Sorting and filtering use a few lines of inline JavaScript: no CDN, no
library, the page works from a USB stick.
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
from urllib.parse import quote

from smartcity_utils import __version__, paths
from smartcity_utils.report.jobs import FAILED_SUFFIX, INDEX_NAME, STAMP_DIRNAME, SUMMARY_SUFFIX
from smartcity_utils.report.numbers import MISSING, fmt_int, fmt_pct, fmt_score
from smartcity_utils.report.page import PAGE_CSP, csp_meta, script_hash
from smartcity_utils.report.texts import LANGUAGES, check_lang, has_text, text
from smartcity_utils.tables import atomic_write

_INDEX_CSS = """
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
.badge{display:inline-block;padding:.05rem .4rem;border-radius:.3rem;font-size:.75rem;font-weight:600}
.sim{background:#fde68a;color:#7c2d12;border:1px solid #d97706}
.failed{background:#fecaca;color:#7f1d1d}
.banner{background:#b00020;color:#fff;padding:.6rem 1rem;margin-bottom:1rem;font-weight:600;border-radius:4px}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;margin:.8rem 0}
.filters label{font-size:.85rem}
.filters select,.filters input{margin-left:.3rem}
"""

_INDEX_JS = """
(function(){
var t=document.getElementById('reports');if(!t)return;var body=t.tBodies[0];
var rows=Array.prototype.slice.call(body.rows);
var f={};document.querySelectorAll('[data-filter]').forEach(function(el){f[el.dataset.filter]=el;
el.addEventListener('input',apply);});
function apply(){var shown=0;rows.forEach(function(r){var ok=true;
Object.keys(f).forEach(function(k){var v=f[k].value;if(!v)return;
if(k==='min'||k==='max'){var s=parseFloat(r.dataset.score);if(isNaN(s)){ok=false;return;}
if(k==='min'&&s<parseFloat(v))ok=false;if(k==='max'&&s>parseFloat(v))ok=false;}
else if(k==='text'){if(r.textContent.toLowerCase().indexOf(v.toLowerCase())<0)ok=false;}
else if((r.dataset[k]||'')!==v)ok=false;});r.hidden=!ok;if(ok)shown++;});
document.getElementById('shown').textContent=shown;}
t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
var asc=th.getAttribute('aria-sort')!=='ascending';
t.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort');});
th.setAttribute('aria-sort',asc?'ascending':'descending');var num=th.classList.contains('num');
rows.sort(function(a,b){var x=a.cells[i].dataset.v||a.cells[i].textContent,
y=b.cells[i].dataset.v||b.cells[i].textContent;
if(num){x=parseFloat(x);y=parseFloat(y);if(isNaN(x))x=Infinity;if(isNaN(y))y=Infinity;return asc?x-y:y-x;}
return asc?x.localeCompare(y):y.localeCompare(x);});rows.forEach(function(r){body.appendChild(r);});});});
})();
"""

#: The index page's Content-Security-Policy: the report pages' policy, and its own sorting script alone.
INDEX_CSP = PAGE_CSP.replace("script-src 'none'", f"script-src {script_hash(_INDEX_JS)}")

_STEM_FROM_FILE = re.compile(rf"^(?P<stem>{paths.STEM_PATTERN})(?:\.html|\.ipynb|\.pdf|"
                             + re.escape(SUMMARY_SUFFIX) + "|" + re.escape(FAILED_SUFFIX) + ")$")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def scan_reports(out_dir: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Every report present in ``out_dir``, by file stem.

    Returns:
        ``{stem: row}`` with the keys of :func:`write_index` rows, built from
        the files alone (HTML, notebook, PDF, failed notebook, summary, stamp).
    """
    root = Path(out_dir)
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        if path.name == INDEX_NAME or not path.is_file():
            continue
        match = _STEM_FROM_FILE.match(path.name)
        if not match or path.name.endswith(".tmp.ipynb"):
            continue
        stem = match.group("stem")
        row = found.setdefault(stem, {"slug": stem})
        if path.name.endswith(FAILED_SUFFIX):
            row["failed_notebook"] = path.name
            row["status"] = "failed"
        elif path.name.endswith(SUMMARY_SUFFIX):
            row["figures"] = _read_json(path)
        elif path.suffix in (".html", ".ipynb", ".pdf"):
            row[{".html": "html", ".ipynb": "notebook", ".pdf": "pdf"}[path.suffix]] = path.name
    for stem, row in found.items():
        stamp = _read_json(root / STAMP_DIRNAME / f"{stem}.json")
        figures = row.get("figures") or {}
        row["regency"] = figures.get("regency") or stamp.get("regency") or stem
        row.setdefault("regency_id", stamp.get("regency_id", figures.get("regency_id", "")))
        row["lang"] = figures.get("lang") or (stem.rsplit(".", 1)[1] if "." in stem else "")
    return {stem: row for stem, row in found.items() if {"html", "notebook", "failed_notebook"} & set(row)}


def _fmt(value: Any) -> str:
    """A filter value or a sort key as the page's data attributes hold it (machine-readable, not for reading)."""
    if value is None or value == "":
        return ""
    return str(value)


def write_index(out_dir: str | os.PathLike[str], rows: Sequence[Mapping[str, Any]] = (), lang: str = "en") -> Path:
    """Write ``<out_dir>/index.html`` listing every report present.

    Args:
        out_dir: The reports folder.
        rows: Reports of the current run (keys ``regency``, ``slug`` (file
            stem) and optionally ``regency_id``, ``year``, ``lang``,
            ``status``, ``html``, ``notebook``, ``pdf``, ``failed_notebook``
            (file names relative to ``out_dir``) and ``figures`` (the dict
            from :func:`write_report_summary`; ``figures["simulated"]`` shows
            the simulated-data badge)). They are merged with, and take
            precedence over, the reports found in the folder.
        lang: Language of the page's own labels (the reports listed keep theirs).

    Returns:
        Path of the index page.

    Raises:
        ValueError: for a link that is not a plain file name.
    """
    check_lang(lang)
    root = Path(out_dir).resolve()
    merged = scan_reports(root)
    for row in rows:
        stem = str(row.get("slug") or row.get("regency"))
        merged[stem] = {**merged.get(stem, {}), **{k: v for k, v in row.items() if v not in (None, "")}}
        # The name the page itself gives (a comparison's regencies) beats the job's label.
        named = (merged[stem].get("figures") or {}).get("regency")
        if named:
            merged[stem]["regency"] = named
    esc = html.escape

    def t(key: str, **values: Any) -> str:
        return esc(text(lang, key, **values))

    def link(name: str | None, label: str) -> str:
        if not name:
            return ""
        # Only file names inside out_dir are linked, and hrefs stay relative.
        if Path(name).name != name or name in (".", ".."):
            raise ValueError(f"index links must be plain file names, got {name!r}")
        return f'<a href="{esc(quote(name))}">{t(label)}</a>'

    def shown(cell: str) -> str:  # an empty cell stays empty on the index (no missing-value note to explain it)
        return "" if cell == MISSING else cell

    def language(code: str) -> str:
        return text(lang, f"index_lang_{code}") if code in LANGUAGES else code

    ordered = sorted(merged.values(), key=lambda r: (str(r.get("regency", "")), str(r.get("lang", ""))))
    any_simulated = any((row.get("figures") or {}).get("simulated") for row in ordered)
    body_rows, options = [], {"province": set(), "cohort": set(), "group": set(), "lang": set()}
    for row in ordered:
        figures = row.get("figures") or {}
        badges = []
        if figures.get("simulated"):
            badges.append(f'<span class="badge sim">{t("index_badge_simulated")}</span>')
        if row.get("status") == "failed" or row.get("failed_notebook"):
            badges.append(f'<span class="badge failed">{t("index_badge_failed")}</span>')
        links = " · ".join(x for x in (link(row.get("html"), "index_link_report"),
                                        link(row.get("pdf"), "index_link_pdf"),
                                        link(row.get("notebook"), "index_link_notebook"),
                                        link(row.get("failed_notebook"), "index_link_failed")) if x)
        values = {"province": _fmt(figures.get("province")), "cohort": _fmt(figures.get("cohort_year")),
                  "group": _fmt(figures.get("evaluation_group")), "lang": _fmt(row.get("lang"))}
        for key, value in values.items():
            if value:
                options[key].add(value)
        score = figures.get("final_score")
        rank, n = figures.get("rank"), figures.get("n_in_group")
        rank_text = (text(lang, "rank_of", rank=fmt_int(rank), n=fmt_int(n)) if rank is not None and n is not None
                     else fmt_int(rank) if rank is not None else "")
        if rank is not None and figures.get("rank_kind") == "published":
            rank_text = text(lang, "index_rank_published", rank=rank_text)  # not computed here: the letter's
        year = row.get("year") or figures.get("year", "")
        data = " ".join(f'data-{k}="{esc(v, quote=True)}"' for k, v in values.items())
        body_rows.append(
            f'<tr {data} data-score="{esc(_fmt(score))}"><td>{esc(str(row.get("regency", "")))} {" ".join(badges)}</td>'
            f"<td>{esc(language(values['lang']))}</td><td>{esc(values['province'])}</td>"
            f"<td class=\"num\">{esc(values['cohort'])}</td><td>{esc(values['group'])}</td>"
            f"<td class=\"num\">{esc(str(year))}</td><td class=\"num\">{esc(shown(fmt_score(score, lang)))}</td>"
            f'<td class="num" data-v="{esc(_fmt(rank))}">{esc(rank_text)}</td>'
            f"<td class=\"num\">{esc(shown(fmt_pct(figures.get('percentile_in_group'))))}</td><td>{links}</td></tr>")

    def select(key: str, label: str) -> str:
        opts = "".join(f'<option value="{esc(v, quote=True)}">{esc(language(v) if key == "lang" else v)}</option>'
                       for v in sorted(options[key]))
        return (f'<label>{t(label)}<select data-filter="{key}"><option value="">{t("index_all")}</option>{opts}'
                "</select></label>")

    filters = ('<div class="filters">' + select("province", "col_province")
               + select("cohort", "col_cohort") + select("group", "col_group")
               + select("lang", "index_col_lang")
               + f'<label>{t("index_filter_from")}<input data-filter="min" type="number" step="0.1" min="0" max="4" '
               'size="4"></label>'
               + f'<label>{t("index_filter_to")}<input data-filter="max" type="number" step="0.1" min="0" max="4" '
               'size="4"></label>'
               + f'<label>{t("index_search")}<input data-filter="text" type="search"></label></div>')
    # The national analyses (notebooks 01 to 04 and 06, exported by `smartcity notebooks`).
    analyses = sorted(p for p in (root / paths.ANALYSIS_DIRNAME).glob("*.html") if re.fullmatch(r"[\w.-]+", p.name))
    analysis_links = " · ".join(
        f'<a href="{paths.ANALYSIS_DIRNAME}/{esc(quote(p.name))}">{esc(analysis_title(p.stem, lang))}</a>'
        for p in analyses)
    analysis_section = f"<p>{t('index_national')}: {analysis_links}</p>" if analyses else ""
    # The tables of the same data as one workbook (`smartcity export`), in each language written.
    workbooks = [root / paths.WORKBOOK_NAME.format(lang=code) for code in LANGUAGES]
    workbook_links = " · ".join(f'<a href="{esc(quote(w.name))}">{esc(language(w.name.split(".")[-2]))}</a>'
                                for w in workbooks if w.is_file())
    if workbook_links:
        analysis_section += f"<p>{t('index_workbook')}: {workbook_links}</p>"
    banner = f'<div class="banner">{t("index_banner")}</div>' if any_simulated else ""
    columns = [("index_col_regency", ""), ("index_col_lang", ""), ("col_province", ""),
               ("col_cohort", "num"), ("col_group", ""), ("col_year", "num"),
               ("index_col_score", "num"), ("col_rank", "num"), ("col_percentile", "num"),
               ("index_col_links", "")]
    head = "<tr>" + "".join(f'<th class="{cls}">{t(key)}</th>' if cls else f"<th>{t(key)}</th>"
                            for key, cls in columns) + "</tr>"
    shown = f'<span id="shown">{len(ordered)}</span>'
    page = (
        f"<!DOCTYPE html>\n<html lang=\"{esc(lang)}\"><head><meta charset=\"utf-8\">{csp_meta(INDEX_CSP)}"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<meta name=\"generator\" content=\"smartcity_utils {esc(__version__)}\">"
        f"<title>{t('index_title')}</title><style>{_INDEX_CSS}</style></head><body>"
        f"<h1>{t('index_title')}</h1>{banner}"
        f"<p>{t('index_count', n=len(ordered), shown='@@SHOWN@@').replace('@@SHOWN@@', shown)} "
        f"{t('index_generated', date=time.strftime('%Y-%m-%d %H:%M'))}</p>"
        f"{analysis_section}{filters}"
        f"<table id=\"reports\"><thead>{head}</thead><tbody>{''.join(body_rows)}</tbody></table>"
        f"<script>{_INDEX_JS}</script></body></html>\n"
    )
    path = root / INDEX_NAME
    atomic_write(path, page)
    return path


def analysis_title(stem: str, lang: str) -> str:
    """An analysis page's title in ``lang`` (``02_compare_cohorts`` -> "02 · Regencies against their cohorts");
    a page without a title in the store is named by its file, in words."""
    key = f"analysis_title_{stem}"
    return text(lang, key) if has_text(lang, key) else stem.replace("_", " ").replace("-", " ")
