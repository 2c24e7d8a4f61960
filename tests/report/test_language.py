"""One language per report: a rendered report holds no text of the other language's text file.

The reports are rendered end to end (notebook, runner, HTML page) on the
bundled example. The national analysis is replaced by its three inputs to the
report, computed cheaply: the index table, rank intervals from a few Monte Carlo
draws, and pillar associations from a plain least-squares fit. Their numbers
are not under test here, only the words around them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.pages import foreign_fragments, visible_text

from smartcity_utils import commands, paths
from smartcity_utils.analysis.index import index_table, reconcile_index
from smartcity_utils.analysis.rank_uncertainty import rank_uncertainty
from smartcity_utils.clean.assemble import run_clean
from smartcity_utils.freshness import step_digest
from smartcity_utils.paths import EXAMPLE_RAW_DIR
from smartcity_utils.reference import PILLAR_KEYS
from smartcity_utils.report.texts import texts
from smartcity_utils.tables import file_digest, write_tables

pytestmark = pytest.mark.slow


def _driver_estimates(index_ranks: pd.DataFrame) -> pd.DataFrame:
    rows = index_ranks.dropna(subset=[*PILLAR_KEYS, "final_score"])
    x = np.column_stack([np.ones(len(rows)), rows[list(PILLAR_KEYS)].to_numpy(float)])
    y = rows["final_score"].to_numpy(float)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    se = np.sqrt(np.diag(resid @ resid / (len(y) - x.shape[1]) * np.linalg.inv(x.T @ x)))
    return pd.DataFrame({"pillar_key": list(PILLAR_KEYS), "estimate": beta[1:], "ci_low": beta[1:] - 1.96 * se[1:],
                         "ci_high": beta[1:] + 1.96 * se[1:], "method": "ols",
                         "estimand": "difference in the index per point, other pillars equal", "is_simulated": True})


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("processed")
    run_clean(EXAMPLE_RAW_DIR, folder)
    index_ranks = index_table(pd.read_parquet(folder / "regency_year.parquet"))
    uncertainty = rank_uncertainty(index_ranks, n_draws=30, seed=0)
    analysis = paths.analysis_dir(folder)
    analysis.mkdir(parents=True, exist_ok=True)
    write_tables({"index_ranks": index_ranks, "rank_uncertainty": uncertainty,
                  "reconciliation": reconcile_index(index_ranks),
                  "driver_estimates": _driver_estimates(index_ranks)}, analysis)
    # Stamped as `smartcity analyse` stamps it, so the reports take these tables as fresh.
    inputs = {name: file_digest(folder / f"{name}.parquet") for name in ("regency_year", "scores")}
    stamp = {"n_draws": 30, "seed": 0, "n_boot": 0, "inputs": inputs,
             "digest": step_digest(inputs, {"seed": 0, "n_draws": 30, "n_boot": 0})}
    (analysis / paths.ANALYSIS_META).write_text(json.dumps(stamp), encoding="utf-8")
    out = tmp_path_factory.mktemp("reports")
    common = dict(cohort=None, every=False, year=None, workers=1, force=True, out_dir=str(out), timeout=300,
                  progress=False, processed_dir=str(folder))
    for lang in ("id", "en"):
        # Kukar: a rejected year (2020), changes of evaluation group, Quick Wins.
        assert commands.report(regencies=["Kukar"], lang=lang, **common) == 0
    assert commands.report(regencies=[], lang="en", compare=["Kukar", "Paser", "Kotim"], **common) == 0
    pages = {}
    for page in out.glob("*.html"):
        if page.name == "index.html":
            continue
        lang = page.name.split(".")[-2]
        kind = "compare" if page.name.startswith("compare") else "regency"
        pages[f"{kind}_{lang}"] = page
    assert set(pages) == {"regency_id", "regency_en", "compare_en"}, sorted(p.name for p in out.iterdir())
    return pages


@pytest.mark.parametrize("name, lang, other", [("regency_id", "id", "en"), ("regency_en", "en", "id"),
                                               ("compare_en", "en", "id")])
def test_rendered_report_has_no_text_of_the_other_language(rendered, name, lang, other):
    page = rendered[name].read_text(encoding="utf-8")
    shown = visible_text(page)
    leaked = sorted(f for f in foreign_fragments(lang, other) if f in shown)
    assert leaked == []
    assert re.search(rf'<html[^>]*\blang="{lang}"', page)
    assert texts()[lang]["marker"] in shown or "data:image/png" in page  # figure stamps in the report's language


def test_regency_report_in_each_language_is_complete(rendered):
    for lang in ("id", "en"):
        words = texts()[lang]
        shown = visible_text(rendered[f"regency_{lang}"].read_text(encoding="utf-8"))
        for key in ("summary", "headline", "profile", "quick_wins", "rejects", "methods", "letter"):
            assert words[key] in shown, (lang, key)
        # No published figure of Kukar is known: the page lists no source of other regencies' figures.
        assert words["methods_sources"] not in shown
        # A Quick Win row of Kukar was rejected for a typo: listed with its reason. Every evaluation year has an
        # index (the typo sits in no recap, so no group loses Kukar): no year is named as missing.
        assert "Kutai Kartanegra" in shown and words["reason_unknown_regency"] in shown
        assert words["missing_year"].split("{years}")[0] not in shown
        assert "<NA>" not in shown and "nan" not in shown.split() and "NaN" not in shown
        tables_text = visible_text(rendered[f"regency_{lang}"].read_text(encoding="utf-8"), figures=False)
        # Ranks and counts as whole numbers ("8", never "8.0"); the figures' axis ticks are left out.
        assert not re.search(r"\b\d+\.0\b", tables_text), re.findall(r".{30}\b\d+\.0\b.{10}", tables_text)[:3]


def test_reports_stay_small(rendered):
    for page in rendered.values():
        assert page.stat().st_size < 400_000, page.name


def test_the_number_of_pillars_is_written_in_from_the_data_model(monkeypatch):
    from smartcity_utils import reference as ref
    from smartcity_utils.report import texts as store

    raw = json.loads(store.TEXTS_FILE.read_text(encoding="utf-8"))
    for lang, pattern in (("en", r"\bsix pillar"), ("id", r"\b(ke)?enam (nilai )?pilar")):
        said = [key for key, value in raw[lang].items() if re.search(pattern, value, flags=re.IGNORECASE)]
        assert not said, f"{lang}: the number of pillars is written out in {said}"
    words = store.texts()
    assert len(PILLAR_KEYS) == 6 and "the six pillar scores of {regency}" in words["en"]["alt_profile"]
    assert words["id"]["finding_structure_one"].startswith("Keenam pilar")
    assert words["id"]["nb02_distributions_intro"].startswith("Enam pilar")
    assert not [key for table in words.values() for key, value in table.items() if "_pillars}" in value]
    monkeypatch.setattr(ref, "PILLAR_KEYS", PILLAR_KEYS[:5])
    store.texts.cache_clear()
    try:
        five = store.texts()
        assert "the five pillar scores of Kota X" in store.text("en", "alt_profile", regency="Kota X", year=2023)
        assert five["id"]["finding_structure_one"].startswith("Kelima pilar")
        assert five["id"]["nb02_distributions_intro"].startswith("Lima pilar")
    finally:
        monkeypatch.undo()
        store.texts.cache_clear()
