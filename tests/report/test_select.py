"""A regency is identified once, where the command line is read: the choice of reports, the jobs and the
notebooks take the subject and look no name up again."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from smartcity_utils import commands, regencies
from smartcity_utils.errors import UserError
from smartcity_utils.regencies import Subject, identify
from smartcity_utils.report import compare, profile
from smartcity_utils.report import jobs as report_jobs
from smartcity_utils.report.select import choose_regencies, comparison_job, report_subject

KUKAR, PASER, KOTIM = regencies.resolve_regencies(["Kukar", "Paser", "Kotim"])
NAME = regencies.regency_resolver().name


def _index_ranks() -> pd.DataFrame:
    """Kukar with an index in 2022 and 2023, Paser in 2023 only, Kotim (cohort 2021) in 2022 only."""
    rows = [(KUKAR, 2022, 3.1, 2019), (KUKAR, 2023, 3.2, 2019), (PASER, 2022, None, 2019), (PASER, 2023, 2.9, 2019),
            (KOTIM, 2022, 2.7, 2021)]
    return pd.DataFrame(rows, columns=["regency_id", "year", "final_score", "cohort_year"]).assign(
        regency="a spelling of the table")


@pytest.fixture
def no_lookups(monkeypatch):
    """Any name looked up from here on fails the test."""
    def refuse(self, raw, *args, **kwargs):
        raise AssertionError(f"{raw!r} was looked up again")

    monkeypatch.setattr(regencies.RegencyResolver, "resolve", refuse)


def test_identify_resolves_each_name_once_into_a_subject():
    subjects = identify(["Kukar", "64.01"], 2023, "en")
    assert subjects[0] == Subject(KUKAR, "Kabupaten Kutai Kartanegara", 2023, "en", "Kukar")
    assert subjects[1].name == NAME(subjects[1].regency_id) and subjects[1].label == "64.01"
    assert Subject(PASER, "Kabupaten Paser").label == "Kabupaten Paser"  # no name given: the display name
    with pytest.raises(UserError, match=r"unknown regency names: 'Kutai Kartanegra' \(unknown regency; did you mean: "
                                        r"Kabupaten Kutai Kartanegara\)"):
        identify(["Kutai Kartanegra"])


def test_choose_regencies_takes_the_subjects_and_looks_up_no_name(no_lookups):
    named = [Subject(PASER, NAME(PASER), None, "id", "Paser"), Subject(KUKAR, NAME(KUKAR), None, "id", "Kukar")]
    chosen = choose_regencies(_index_ranks(), named, None, False, 2023, "en")
    assert [(s.regency_id, s.name, s.year, s.lang) for s in chosen] == [(KUKAR, NAME(KUKAR), 2023, "en"),
                                                                       (PASER, NAME(PASER), 2023, "en")]
    cohort = choose_regencies(_index_ranks(), [], 2021, False, None, "id")
    assert [(s.regency_id, s.name, s.given) for s in cohort] == [(KOTIM, NAME(KOTIM), "")]
    every = choose_regencies(_index_ranks(), named[:1], None, True, None)
    assert [s.regency_id for s in every] == [KOTIM, KUKAR, PASER]  # in the order of the names, each once
    assert every[2].given == "Paser"


def test_the_year_is_checked_where_the_reports_are_chosen(no_lookups):
    named = [Subject(PASER, NAME(PASER), None, "id", "Paser")]
    with pytest.raises(UserError, match=r"no index in 2019; years with an index: \[2022, 2023\]"):
        choose_regencies(_index_ranks(), named, None, False, 2019)
    with pytest.raises(UserError, match=r"no index \(reported, or computed from five dimension scores\) in 2022 "
                                        r"for: Paser$"):
        choose_regencies(_index_ranks(), named, None, False, 2022)
    with pytest.raises(UserError, match="say which reports to render"):
        choose_regencies(_index_ranks(), [], None, False, None)


def test_a_comparison_takes_the_subjects_and_names_its_file_after_the_names_given(tmp_path, no_lookups):
    subjects = [Subject(KUKAR, NAME(KUKAR), None, "en", "Kukar"), Subject(KOTIM, NAME(KOTIM), None, "en", "Kotim")]
    job, names, ids = comparison_job(_index_ranks(), subjects, None, "en", tmp_path)
    assert (names, ids, job.year) == ([NAME(KUKAR), NAME(KOTIM)], [KUKAR, KOTIM], 2023)
    assert job.stem == "compare-kukar-kotim.en"
    with pytest.raises(UserError, match=r"at least two different regencies, got \['Kukar', 'Kukar'\]"):
        comparison_job(_index_ranks(), [subjects[0], subjects[0]], None, "en", tmp_path)
    # The comparison notebook gets the ids and the checked year: it neither looks up nor checks them again.
    assert compare.setup(None, names, 2023, ids) == (ids, dict(zip(ids, names)), 2023)


def test_report_jobs_carry_the_subjects_display_name_and_id(tmp_path):
    subject = Subject(PASER, NAME(PASER), 2023, "id", "Paser")
    job = report_jobs.plan_reports([subject], 2023, "id", tmp_path)[0]
    assert (job.regency, job.regency_id, job.year, job.stem) == (NAME(PASER), PASER, 2023, "kabupaten-paser.id")


def test_the_report_notebook_takes_the_runners_subject_as_it_is(no_lookups):
    ctx = profile.ReportContext(_index_ranks(), *(None,) * 6, Path("."))
    # The runner's name and year (checked by the command) are taken as given; 0: the latest year with an index.
    assert report_subject(ctx, "Kabupaten Paser", PASER, 2023, "en") == Subject(PASER, "Kabupaten Paser", 2023, "en")
    assert report_subject(ctx, "Kabupaten Paser", PASER, 0, "en").year == 2023
    assert report_subject(ctx, "Kabupaten Kutai Kartanegara", KUKAR, None, "id").year == 2023


def test_the_report_notebook_run_by_hand_identifies_the_name_and_checks_the_year():
    ctx = profile.ReportContext(_index_ranks(), *(None,) * 6, Path("."))
    assert report_subject(ctx, "Kukar", 0, None, "en") == Subject(KUKAR, NAME(KUKAR), 2023, "en", "Kukar")
    with pytest.raises(UserError, match=r"no index in 2022 for this regency; years with an index: \[2023\]"):
        report_subject(ctx, "Paser", 0, 2022, "id")


def test_the_command_identifies_every_name_once_and_hands_on_subjects(monkeypatch, tmp_path):
    calls = []
    looked_up = []
    real = regencies.RegencyResolver.resolve

    def counting(self, raw, *args, **kwargs):
        looked_up.append(raw)
        return real(self, raw, *args, **kwargs)

    monkeypatch.setattr(regencies.RegencyResolver, "resolve", counting)
    monkeypatch.setattr(commands, "_report", lambda *args: calls.append(args) or 0)
    monkeypatch.setattr(commands, "_new_generation", lambda *args: None)
    monkeypatch.setattr(commands, "_locks", lambda *args: None)
    assert commands.report(["Kukar"], year=2023, lang="en", out_dir=tmp_path / "out",
                           processed_dir=tmp_path, compare=["Paser", "Kotim"]) == 0
    assert looked_up == ["Kukar", "Paser", "Kotim"]
    subjects, compared = calls[0][0], calls[0][-1]
    assert subjects == [Subject(KUKAR, NAME(KUKAR), 2023, "en", "Kukar")]
    assert [(s.regency_id, s.label) for s in compared] == [(PASER, "Paser"), (KOTIM, "Kotim")]
    with pytest.raises(UserError, match="'Nowhere' .*'Elsewhere'"):  # the unknown names of both lists at once
        commands.report(["Nowhere"], out_dir=tmp_path / "out", processed_dir=tmp_path, compare=["Elsewhere", "Paser"])
