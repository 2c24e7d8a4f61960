"""Notebook 03 (pillar drivers) executes under papermill on the bundled data and tells its story in order."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from fixtures.example_run import execute_notebook as _execute
from fixtures.example_run import output_text as _text
from fixtures.example_run import processed_example

from smartcity_utils.paths import EXAMPLE_TRUTH_DIR
from smartcity_utils.report.texts import texts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    return processed_example(tmp_path_factory)


#: Section headings of notebook 03 (keys of the text store), in the order the story is told.
SECTIONS = ("nb03_answer_title", "nb03_measurement_title", "nb03_lead_title", "nb03_weights_title",
            "nb03_closing_title", "nb03_findings_title", "nb03_appendix_title")

#: Raw artefacts a reader must never see.
ARTEFACTS = ("LinAlgError", "np.int64", "np.float64", "Traceback", "smart_governance", "consensus")


def test_03_drivers_find_the_strongest_pillar(processed, tmp_path):
    truth = json.loads((EXAMPLE_TRUTH_DIR / "simulation_truth.json").read_text())["parameters"]["beta_k"]
    nb = _execute("03_pillar_drivers.ipynb", tmp_path, processed_dir=str(processed), output_dir=str(tmp_path),
                  n_boot=30, lang="en")
    summary = pd.read_csv(tmp_path / "drivers_summary.csv")
    lead = summary[summary["is_lead"]]
    assert lead["method"].item() == "eiv"
    assert lead["top_pillar"].item() == max(truth, key=truth.get)
    assert "consensus_rank" not in summary.columns
    assert (tmp_path / "driver_estimates.png").exists()
    # The story: measurement model, then estimates with intervals, then the closing table, then findings.
    text = _text(nb)
    positions = [text.index(f">{texts()['en'][key]}</h2>") for key in SECTIONS]
    assert positions == sorted(positions)
    assert "ICC(1)" in text and "Cronbach" in text  # the measurement tables are shown
    # The closing table in the page's language only, and said in a sentence when every method ran.
    assert "Corrected regression (lead)" in text and "Regresi terkoreksi (utama)" not in text
    assert "What it estimates" in text and "Yang diestimasi" not in text
    assert "None: every method ran" not in text
    assert "adjust_leniency" not in text and "style.hide" not in "".join(c.source for c in nb.cells)
    # The assumptions, the measured-years estimate and bound, the order probabilities, the weight
    # scenarios, the Sobol result and what the pillars are, all shown.
    for shown in ("Years without assessor rows", "Assessors of one panel", "Corrected, years with assessor rows only",
                  "Interval widened by that range", "Share of draws above the next", "Published weight set",
                  "Dirichlet draws reaching it", "First-order Sobol index", "Output of the Sobol analysis",
                  "Pillar mean equals it", "Specification test (RESET)", "log-odds"):
        assert shown in text, shown
    for artefact in ARTEFACTS + ("eiv_measured", "eiv_bound", "regency_id", "n_assessors"):
        assert artefact not in text, artefact
    # The answer quotes the general level and the rank part as computed, and says the index comes from the
    # dimensions; the dominance answer quotes a part of the variance and its share of R-squared apart.
    from smartcity_utils.report.numbers import fmt_score, fmt_share

    overall = pd.read_csv(tmp_path / "drivers_general_overall.csv").set_index("target")
    answer = text[:text.index(f">{texts()['en']['nb03_measurement_title']}</h2>")]
    assert "computed from the five evaluation dimensions" in answer
    for target in ("index", "rank"):
        assert f"{fmt_score(100 * overall.at[target, 'r2_general'], 'en', 1)} [" in answer, target
    dom = pd.read_csv(tmp_path / "drivers_dominance.csv").set_index("pillar")
    top = dom["estimate"].idxmax()
    assert f"that is {fmt_share(dom.at[top, 'share_of_r2'])} [" in text
    assert "share of explained variance" not in text.lower()


def test_03_on_a_year_without_assessor_rows_says_so_before_any_number(processed, tmp_path):
    # Input: years [2019], which has no assessor-level rows. Expected: the first output after the banner says so,
    # before the count of regency-years or any estimate.
    nb = _execute("03_pillar_drivers.ipynb", tmp_path, processed_dir=str(processed), years=[2019], n_boot=20,
                  lang="en")
    text = _text(nb)
    note = text.index("No assessor-level rows in 2019")
    assert note < text.index("The models use ") and note < text.index("Corrected regression (lead)")
    assert "carried over to 2019 unchecked" in text


def test_03_rank_target_and_group_filter(processed, tmp_path):
    _execute("03_pillar_drivers.ipynb", tmp_path, processed_dir=str(processed), output_dir=str(tmp_path),
             target="rank", years=[2023], n_boot=20)
    model = pd.read_csv(tmp_path / "drivers_model.csv")
    assert model["target"].item() == "percentile_year" and model["n"].item() >= 100


def test_analysis_sidecars_say_the_data_are_simulated(processed):
    from smartcity_utils import paths
    from smartcity_utils.analysis.summary import analysis_summary

    folder = paths.analysis_dir(processed)
    for name in (paths.RANK_UNCERTAINTY_META, paths.ANALYSIS_META):
        assert json.loads((folder / name).read_text(encoding="utf-8"))["is_simulated"] is True, name
    assert analysis_summary(processed).startswith("simulated data: ")
    # The published-rank count (near-tautological: bands are centred on the published scores) is replaced by the
    # coverage of true ranks on panels simulated from these scores; the lead's assumptions are in the sidecar.
    meta = json.loads((folder / paths.ANALYSIS_META).read_text(encoding="utf-8"))
    check = meta["true_rank_coverage_check"]
    assert "published_ranks_outside_5_95_band" not in meta and 0.8 < check["coverage"] < 0.97
    assert {"carried_to_other_years", "independent_within_panel", "linear"} <= set(meta["lead_assumptions"])
    assert "of true ranks" in analysis_summary(processed) and "not of the model" in analysis_summary(processed)
    assert check["shared_error_sd"] > 0 and check["model"] == "the bands' own"
