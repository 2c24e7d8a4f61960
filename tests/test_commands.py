"""The command layer: choices made for the user before any stage runs."""

from pathlib import Path

import pandas as pd

from smartcity_utils import commands, paths


def _cleaned_with(manifest_rows: list[dict]):
    from smartcity_utils.clean import Cleaned

    base = {"source_file": "a.xlsx", "rows_read": 5, "rows_kept": 5, "rows_rejected": 0, "values_rejected": 0,
            "top_reject_reasons": "", "ignored_columns": "", "sheets_skipped": ""}
    manifest = pd.DataFrame([{**base, **row} for row in manifest_rows])
    empty = pd.DataFrame()
    return Cleaned(scores=empty, regency_year=empty, regencies=empty, evaluation_groups=empty,
                   rejects=pd.DataFrame(columns=["reason"]), manifest=manifest,
                   built={"quick_wins": empty, "published_facts": empty})


def test_clean_summary_names_a_file_with_rejected_rows(tmp_path, monkeypatch, capsys):
    cleaned = _cleaned_with([{"source_file": "rows_only.xlsx", "rows_kept": 3, "rows_rejected": 2,
                              "top_reject_reasons": "blank_regency 2"},
                             {"source_file": "clean.xlsx"}])
    monkeypatch.setattr("smartcity_utils.clean.run_clean", lambda *args, **kwargs: cleaned)
    (tmp_path / "raw").mkdir()
    assert commands.clean(tmp_path / "raw", tmp_path / "out", progress=False) == 0
    printed = capsys.readouterr().out
    assert "  rows_only.xlsx: 2 of 5 rows rejected (blank_regency 2)" in printed
    assert "clean.xlsx:" not in printed


def test_clean_names_the_example_given_as_a_relative_path(tmp_path, monkeypatch, capsys):
    from smartcity_utils import paths

    monkeypatch.chdir(paths.EXAMPLE_DIR)
    monkeypatch.setattr(paths, "default_raw_dir", lambda: Path("raw"))
    monkeypatch.setattr("smartcity_utils.clean.run_clean", lambda *args, **kwargs: _cleaned_with([{}]))
    assert commands.clean(None, tmp_path / "out", progress=False) == 0
    printed = capsys.readouterr().out
    assert f"reading raw: the bundled simulated example ({paths.RAW_DIR} holds no data files of yours)" in printed


def test_make_all_prints_where_to_start_reading_last(capsys):
    # Input: the recipe of `make all`. Expected: the run leaves out its last line, the focus reports and the
    # screenshots follow, and "done: open reports/index.html" comes after everything else.
    import re
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^all:.*?\n((?:\t.*\n)+)", makefile, re.M).group(1).strip().splitlines()
    assert "smartcity run --no-done-line" in recipe[0]
    assert "focus screenshots" in "".join(recipe[1:-1])
    assert "commands.done_line()" in recipe[-1]
    assert commands.done_line() == 0
    assert capsys.readouterr().out == f"done: open {paths.REPORTS_DIR / paths.INDEX_PAGE}\n"


def test_focus_renders_each_report_and_the_comparison_in_every_language_indonesian_last(monkeypatch):
    # Input: `smartcity focus Kukar Paser Kotim`. Expected: per language the three reports, then their
    # comparison, all with PDFs, English first and Indonesian last (the index page speaks the last run's).
    from smartcity_utils import cli

    calls = []
    monkeypatch.setenv("TQDM_DISABLE", "1")  # what --quiet sets, restored after the test
    monkeypatch.setattr(commands, "report", lambda regencies, **kw: calls.append((regencies, kw)) or 0)
    assert cli.main(["focus", "--quiet", "Kukar", "Paser", "Kotim"]) == 0
    assert [(r, kw.get("compare"), kw["lang"], kw["pdf"]) for r, kw in calls] == [
        (["Kukar", "Paser", "Kotim"], None, "en", True), ([], ["Kukar", "Paser", "Kotim"], "en", True),
        (["Kukar", "Paser", "Kotim"], None, "id", True), ([], ["Kukar", "Paser", "Kotim"], "id", True)]
    assert all(kw["progress"] is False for _, kw in calls)


def test_focus_says_what_failed_and_needs_two_regencies(monkeypatch):
    import pytest

    from smartcity_utils.errors import UserError

    statuses = iter([0, 1, 0, 0])  # the English comparison failed
    monkeypatch.setattr(commands, "report", lambda regencies, **kw: next(statuses))
    assert commands.focus(["Kukar", "Paser"]) == 1
    with pytest.raises(UserError, match="name two regencies or more"):
        commands.focus(["Kukar"])
