"""Tests for the report runner (smartcity_utils.report) on small fixture notebooks."""

from __future__ import annotations

import html
import json
import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from smartcity_utils import tables
from smartcity_utils.report import index_page
from smartcity_utils.report import jobs as report_jobs
from smartcity_utils.report import runner as report
from smartcity_utils.report.texts import texts
from smartcity_utils.report.workers import Worker

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPORT_NB = FIXTURES / "report_fixture.ipynb"
FAILING_NB = FIXTURES / "failing_fixture.ipynb"
SLOW_NB = FIXTURES / "slow_fixture.ipynb"

# A name with slashes, quotes, dots and markup: must survive unchanged into the
# notebook while producing a harmless file name.
TRICKY = 'Kab. "Paser"/Utara <b>&</b> ../x'
SLUG_RE = re.compile(r"[a-z0-9_-]{1,80}")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href")


def _hrefs(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.hrefs


# --------------------------------------------------------------------------- slugs


# id | name as written | what the slug starts with. Only the plain name keeps a
# readable slug alone; every other name loses information, so its slug ends
# with a hash of the name ("-" and 8 hex digits).
_SLUG_CASES = """
plain      | Kota Kediri               | kota-kediri
dot        | Kab. Paser                | kab-paser-
traversal  | ../../etc/passwd          | etc-passwd-
quotes     | Kab. "Paser"/Utara        | kab-paser-utara-
hyphen     | Kota Bau-Bau              | kota-bau-bau-
accents    | Kabupaten Pidië Jäya      | kabupaten-pidie-jaya-
fullwidth  | Ｋｏｔａ　Ｍａｌａｎｇ    | kota-malang-
non-latin  | 東京                      | report-
only-dots  | ...                       | report-
dot-first  | .hidden                   | hidden-
backslash  | C:\\Windows\\x        | c-windows-x-
reserved   | con                       | con-
"""
SLUG_CASES = [pytest.param(name, prefix, id=case) for case, name, prefix in
              (map(str.strip, line.split("|")) for line in _SLUG_CASES.strip().splitlines())]
SLUG_CASES.append(pytest.param("A" * 200, "a" * 20, id="long"))


@pytest.mark.parametrize(("name", "expected_prefix"), SLUG_CASES)
def test_safe_slug_is_safe(name, expected_prefix):
    slug = report_jobs.safe_slug(name)
    assert SLUG_RE.fullmatch(slug), slug
    assert slug.startswith(expected_prefix)
    if expected_prefix.endswith("-"):  # a lossy name: the slug ends with the hash of the name
        assert re.fullmatch(re.escape(expected_prefix) + "[0-9a-f]{8}", slug), slug
    assert not slug.startswith(".") and "/" not in slug and "\\" not in slug
    assert report_jobs.safe_slug(name) == slug  # deterministic across runs


def test_safe_slug_distinct_names_do_not_collide():
    names = ["Kab. Paser", "Kab Paser", "Kab-Paser", "Kab_Paser", "kab paser!", "Kab. Päser", "A" * 200, "A" * 201]
    slugs = [report_jobs.safe_slug(n) for n in names]
    assert len(set(slugs)) == len(names)


def test_safe_slug_rejects_non_str():
    with pytest.raises(TypeError):
        report_jobs.safe_slug(None)  # type: ignore[arg-type]


def test_plan_reports_dedupes_and_keeps_paths_inside(tmp_path):
    jobs = report_jobs.plan_reports([(1, "Kota Kediri"), (2, "KOTA KEDIRI"), (3, TRICKY)], 2023, "id", tmp_path / "out")
    assert len({j.slug for j in jobs}) == 3
    assert jobs[1].slug == "kota-kediri-2"
    root = (tmp_path / "out").resolve()
    for job in jobs:
        for path in job.output_paths():
            assert root in path.resolve().parents
    assert jobs[2].regency == TRICKY


@pytest.mark.parametrize("slug", ["../evil", "a/b", ".hidden", "x" * 81])
def test_plan_reports_rejects_escaping_path(tmp_path, monkeypatch, slug):
    # Should a slug ever come out unsafe, no file name is made of it.
    monkeypatch.setattr(report_jobs, "safe_slug", lambda name: slug)
    with pytest.raises(ValueError, match="unsafe report file name"):
        report_jobs.plan_reports([(1, "x")], 2023, "id", tmp_path / "out")
    assert not list(tmp_path.rglob("*"))


def test_plan_reports_keeps_paths_inside_even_through_a_link(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "kota-kediri.id.html").symlink_to(tmp_path / "elsewhere.html")
    with pytest.raises(ValueError, match="outside the output folder .* remove the link"):
        report_jobs.plan_reports([(1, "Kota Kediri")], 2023, "id", tmp_path / "out")


def test_file_names_carry_the_language(tmp_path):
    indonesian = report_jobs.plan_reports([(6401, "Kabupaten Paser")], 2023, "id", tmp_path)[0]
    english = report_jobs.plan_reports([(6401, "Kabupaten Paser")], 2023, "en", tmp_path)[0]
    assert (indonesian.html.name, english.html.name) == ("kabupaten-paser.id.html", "kabupaten-paser.en.html")
    assert not set(indonesian.output_paths()) & set(english.output_paths())


def test_plan_reports_rejects_duplicate_ids(tmp_path):
    with pytest.raises(ValueError):
        report_jobs.plan_reports([(1, "A"), (1, "B")], 2023, "id", tmp_path)


# --------------------------------------------------------------------------- rendering


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("render")
    jobs = report_jobs.plan_reports([(6401, "Kabupaten Paser"), (3571, "Kota Kediri"), (9999, TRICKY)], 2023, "id",
                                    root / "out")
    summary = report.render_reports(jobs, REPORT_NB, workers=2, progress=False, timeout=120)
    return jobs, summary


def test_render_writes_html_without_code(rendered):
    jobs, summary = rendered
    assert summary.failed == [], summary.format()
    assert summary.ok == 3 and summary.skipped == 0
    for job in jobs:
        page = job.html.read_text(encoding="utf-8")
        assert "fixture_marker_value" not in page  # code input is excluded
        assert "regency = " not in page  # so is the injected parameters cell
        assert "output=42000006" in page  # but outputs are kept
        assert "SIMULATED DATA" in page
        assert job.notebook.is_file() and job.stamp.is_file()
        assert not list(job.out_dir.glob(".*.tmp*"))


def test_notebook_receives_exact_name(rendered):
    jobs, _ = rendered
    for job in jobs:
        figures = json.loads(job.summary.read_text(encoding="utf-8"))
        assert figures["regency"] == job.regency
    assert json.loads(jobs[2].summary.read_text(encoding="utf-8"))["regency"] == TRICKY


def test_index_links_and_escapes(rendered):
    jobs, summary = rendered
    page = (jobs[0].out_dir / "index.html").read_text(encoding="utf-8")
    assert summary.index == jobs[0].out_dir / "index.html"
    hrefs = _hrefs(page)
    for job in jobs:
        assert job.html.name in hrefs and job.notebook.name in hrefs
    for href in hrefs:
        assert "/" not in href and ":" not in href  # relative, same folder
        assert (jobs[0].out_dir / href).is_file()
    assert "<b>&</b>" not in page
    assert html.escape(TRICKY) in page
    assert texts()["id"]["index_banner"] in page  # the run's language: Indonesian


def test_failure_does_not_stop_others(tmp_path):
    jobs = report_jobs.plan_reports([(1, "Kota Baik"), (2, "Kota Gagal"), (3, "Kota Bagus")], 2023, "id", tmp_path)
    summary = report.render_reports(jobs, FAILING_NB, workers=2, progress=False, timeout=120)
    assert summary.ok == 2
    assert len(summary.failed) == 1
    failure = summary.failed[0]
    assert failure["regency"] == "Kota Gagal"
    assert failure["ename"] == "ValueError"
    assert "no data for Kota Gagal" in failure["evalue"]
    # Index in the executed notebook (which includes papermill's injected cell).
    assert failure["cell_index"] == 4
    assert "raise ValueError" in failure["cell_source"]
    bad = jobs[1]
    assert bad.failed_notebook.is_file()  # kept for inspection
    assert not bad.html.exists() and not bad.stamp.exists()
    assert "Kota Gagal" in summary.format() and "cell 4" in summary.format()
    assert all(j.html.is_file() for j in (jobs[0], jobs[2]))
    assert "kota-gagal.id.failed.ipynb" in _hrefs((tmp_path / "index.html").read_text(encoding="utf-8"))


@pytest.mark.parametrize("workers", [pytest.param(1, id="in_process"), pytest.param(2, id="process_pool")])
def test_time_limit_bounds_the_whole_report(tmp_path, workers):
    # Every cell (1.5 s) is within the 3 s limit; the report (4.5 s) is not.
    jobs = report_jobs.plan_reports([(1, "Kota Lambat")], 2023, "id", tmp_path)
    summary = report.render_reports(jobs, SLOW_NB, workers=workers, progress=False, timeout=3)
    assert summary.ok == 0 and len(summary.failed) == 1
    assert summary.failed[0]["ename"] == "ReportTimeout"
    assert not jobs[0].html.exists()


def test_rerun_skips_unchanged(tmp_path):
    data = tmp_path / "input.csv"
    data.write_text("a,b\n1,2\n")
    jobs = report_jobs.plan_reports([(1, "Kota Kediri"), (2, "Kab. Paser")], 2023, "id", tmp_path / "out")
    kwargs = dict(workers=1, progress=False, input_files=[data])

    first = report.render_reports(jobs, REPORT_NB, **kwargs)
    assert (first.ok, first.skipped, first.failed) == (2, 0, [])

    second = report.render_reports(jobs, REPORT_NB, **kwargs)
    assert (second.ok, second.skipped) == (0, 2)
    assert (tmp_path / "out" / "index.html").is_file()

    data.write_text("a,b\n1,3\n")
    third = report.render_reports(jobs, REPORT_NB, **kwargs)
    assert (third.ok, third.skipped) == (2, 0)

    forced = report.render_reports(jobs[:1], REPORT_NB, force=True, **kwargs)
    assert (forced.ok, forced.skipped) == (1, 0)

    other_year = report_jobs.plan_reports([(1, "Kota Kediri")], 2024, "id", tmp_path / "out")
    assert report.render_reports(other_year, REPORT_NB, **kwargs).ok == 1


def test_interrupted_write_keeps_previous_report(tmp_path, monkeypatch):
    jobs = report_jobs.plan_reports([(1, "Kota Kediri")], 2023, "id", tmp_path)
    assert report.render_reports(jobs, REPORT_NB, workers=1, progress=False).ok == 1
    job = jobs[0]
    good_html = job.html.read_bytes()
    good_nb = job.notebook.read_bytes()

    def half_then_fail(fh, data):
        fh.write(data[: len(data) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(tables, "_write_all", half_then_fail)
    summary = report.render_reports(jobs, REPORT_NB, workers=1, force=True, progress=False, index=False)
    assert summary.ok == 0 and summary.failed[0]["ename"] == "OSError"
    assert job.html.read_bytes() == good_html
    assert job.notebook.read_bytes() == good_nb
    assert not job.stamp.exists()  # so the next run retries
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_write_report_summary_and_index_unit(tmp_path):
    path = report_jobs.write_report_summary(tmp_path, "", regency="Kota <x>", final_score=0.5, simulated=False)
    assert path.name == report_jobs.safe_slug("Kota <x>") + ".summary.json"
    with pytest.raises(ValueError):
        report_jobs.write_report_summary(tmp_path, "../up", final_score=1)
    rows = [{"regency": "Kota <x>", "slug": "k", "html": "k.html", "figures": {"final_score": 0.5}}]
    page = index_page.write_index(tmp_path, rows).read_text(encoding="utf-8")
    assert "Kota &lt;x&gt;" in page and "SIMULATED" not in page
    with pytest.raises(ValueError):
        index_page.write_index(tmp_path, [{"regency": "x", "slug": "x", "html": "../x.html"}])


def test_index_links_the_national_analyses(tmp_path):
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "02_compare_cohorts.html").write_text("<html></html>", encoding="utf-8")
    (tmp_path / "analysis" / "02_compare_cohorts.ipynb").write_text("{}", encoding="utf-8")
    page = index_page.write_index(tmp_path, []).read_text(encoding="utf-8")
    assert _hrefs(page) == ["analysis/02_compare_cohorts.html"]


# --------------------------------------------------------------------------- the analysis notebooks, same runner


def test_analysis_notebooks_go_through_the_same_runner(tmp_path):
    data = tmp_path / "input.csv"
    data.write_text("a\n1\n")
    out = tmp_path / "analysis"
    parameters = {REPORT_NB.name: {"regency": "Kota Kediri"}, FAILING_NB.name: {"regency": "Kota Gagal"}}
    kwargs = dict(workers=2, progress=False, input_files=[data], timeout=120)

    first = report.run_notebooks(out, [REPORT_NB, FAILING_NB], parameters, **kwargs)
    assert first.ok == 1 and [f["regency"] for f in first.failed] == ["failing_fixture"]
    assert "no data for Kota Gagal" in first.failed[0]["evalue"]  # the other notebook ran on
    assert (out / "failing_fixture.failed.ipynb").is_file() and not (out / "failing_fixture.html").exists()
    # The executed notebook beside its page, with only the parameters given and output_dir.
    page = (out / "report_fixture.html").read_text(encoding="utf-8")
    assert "regency=Kota Kediri" in page and "fixture_marker_value" not in page
    executed = json.loads((out / "report_fixture.ipynb").read_text(encoding="utf-8"))
    injected = next(c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert "regency_id" not in "".join(injected["source"]) and str(out) in "".join(injected["source"])
    assert json.loads((out / "kota-kediri.summary.json").read_text(encoding="utf-8"))["regency"] == "Kota Kediri"
    assert not (out / "index.html").exists()  # the reports' index links these pages instead

    second = report.run_notebooks(out, [REPORT_NB, FAILING_NB], parameters, **kwargs)
    assert (second.ok, second.skipped, len(second.failed)) == (0, 1, 1)  # unchanged skipped, failure retried
    parameters[REPORT_NB.name] = {"regency": "Kota Malang"}
    assert report.run_notebooks(out, [REPORT_NB], parameters, **kwargs).ok == 1


def test_warm_kernel_leaves_no_channels_open_between_reports(tmp_path):
    # Every notebook of a worker runs through the kernel's one client: no channel or thread is added per report.
    jobs = report_jobs.plan_reports([(1, "Kota A"), (2, "Kota B"), (3, "Kota C")], 2023, "id", tmp_path)
    worker = Worker(max_reports_per_kernel=50)
    threads = []
    try:
        for job in jobs:
            task = {"job": job, "notebook": str(REPORT_NB), "digest": "-", "timeout": 120,
                    "parameters": {"regency": job.regency, "output_dir": str(tmp_path), "slug": job.stem}}
            assert worker.run(task)["status"] == "ok"
            threads.append(threading.active_count())
    finally:
        worker.close()
    assert threads[0] == threads[-1], threads


def test_warm_kernel_starts_each_notebook_clean_and_loses_no_first_output(tmp_path):
    # Input: eight notebooks in one warm kernel, each printing in its first cell after the parameters and
    # leaving a variable behind. Expected: no notebook sees the previous one's variable (the reset between
    # them ran), and every first print is in its executed notebook (the kernel's one client, connected
    # since the kernel started, loses nothing).
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('token = "none"', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell('assert "left_over" not in globals(), "state of the previous notebook"\n'
                                          'print(f"first output {token}")'),
                nbformat.v4.new_code_cell("left_over = token")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook = tmp_path / "clean_start.ipynb"
    nbformat.write(nb, notebook)
    jobs = report_jobs.plan_reports([(k, f"Kota {k}") for k in range(1, 9)], 2023, "id", tmp_path)
    worker = Worker(max_reports_per_kernel=50)
    try:
        results = [worker.run({"job": job, "notebook": str(notebook), "digest": "-", "timeout": 120,
                               "parameters": {"token": f"t{k}"}}) for k, job in enumerate(jobs)]
        kernels_started = worker.kernel.km
    finally:
        worker.close()
    assert [r["status"] for r in results] == ["ok"] * 8, [r.get("evalue") for r in results]
    assert kernels_started is not None
    for k, job in enumerate(jobs):
        executed = nbformat.read(job.notebook, as_version=4)
        printed = [o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs]
        assert f"first output t{k}\n" in printed, (k, printed)


def test_a_full_disk_names_the_folder_and_leaves_no_notebook_cut_short(tmp_path, monkeypatch):
    import errno

    from smartcity_utils.report import workers

    def full(path, data):
        Path(path).write_bytes(b'{"cells": [')  # what a write cut short by a full disk leaves
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(workers, "atomic_write", full)
    [job] = report_jobs.plan_reports([(1, "Kota A")], 2023, "id", tmp_path)
    worker = Worker(max_reports_per_kernel=50)
    try:
        result = worker.run({"job": job, "notebook": str(REPORT_NB), "digest": "-", "timeout": 120,
                             "parameters": {"regency": job.regency, "output_dir": str(tmp_path), "slug": job.stem}})
    finally:
        worker.close()
    assert result["status"] == "failed"
    assert f"the disk holding {tmp_path} is full" in result["evalue"]
    assert not job.failed_notebook.exists() and not job.notebook.exists()
    assert not list(tmp_path.glob("*.tmp*"))


def test_only_a_notebook_that_reads_whole_is_kept_as_the_failed_one(tmp_path):
    from smartcity_utils.report.workers import _whole_notebook

    whole, cut = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    whole.write_text('{"cells": [], "metadata": {}}', encoding="utf-8")
    cut.write_text('{"cells": [{"cell_type": "co', encoding="utf-8")
    assert _whole_notebook(whole) and not _whole_notebook(cut) and not _whole_notebook(tmp_path / "none.ipynb")
