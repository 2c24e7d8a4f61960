"""One generation of outputs: tables of two runs are never read together, and the analysis knows its inputs.

Also: CSV outputs are safe to open in a spreadsheet (text that Excel would run
as a formula starts with an apostrophe), while Parquet keeps the text as it is.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from fixtures import hostile_files as h
from fixtures.example_run import processed_example

from smartcity_utils import paths
from smartcity_utils.clean.assemble import run_clean
from smartcity_utils.errors import MixedOutputsError
from smartcity_utils.freshness import analysis_is_stale
from smartcity_utils.tables import (
    excel_safe_text,
    file_digest,
    load_processed,
    read_tables,
    save_outputs,
    write_tables,
)


def _raw(folder: Path, score: str = "3,25") -> Path:
    folder.mkdir()
    path = h.form_csv(folder / "ekspor_2024.csv")
    path.write_text(path.read_text(encoding="utf-8").replace("3,25", score), encoding="utf-8")
    return folder


def test_the_marker_is_written_last_and_names_every_file(tmp_path):
    out = tmp_path / "out"
    run_clean(_raw(tmp_path / "raw"), out)
    marker = json.loads((out / paths.GENERATION_MARKER).read_text(encoding="utf-8"))
    assert sorted(marker["files"]) == sorted(p.name for p in out.iterdir() if p.suffix in (".csv", ".parquet"))
    assert all(file_digest(out / name) == digest for name, digest in marker["files"].items())
    assert max(p.stat().st_mtime_ns for p in out.iterdir()) == (out / paths.GENERATION_MARKER).stat().st_mtime_ns


def test_a_crash_between_the_renames_of_clean_is_detected(tmp_path, monkeypatch):
    out = tmp_path / "out"
    run_clean(_raw(tmp_path / "a"), out)
    real = os.replace
    moved = []

    def dies_after_four(src, dst):
        if Path(dst).parent == out and len(moved) == 4:
            raise KeyboardInterrupt  # the machine stops between two renames
        moved.append(dst)
        return real(src, dst)

    monkeypatch.setattr(os, "replace", dies_after_four)
    with pytest.raises(KeyboardInterrupt):
        run_clean(_raw(tmp_path / "b", score="2,5"), out)
    monkeypatch.setattr(os, "replace", real)
    # New scores and regency_year files beside the old manifest and rejects: refused, not mixed.
    with pytest.raises(MixedOutputsError, match=r"scores\.parquet: not the file the last complete run of "
                                                r"`smartcity clean` wrote .* run `smartcity clean` again"):
        load_processed(out, ("manifest", "scores"))
    run_clean(_raw(tmp_path / "c", score="2,5"), out)
    assert load_processed(out, ("scores",))["scores"]["score"].eq(2.5).all()


def test_a_folder_written_before_the_marker_existed_is_still_read(tmp_path):
    frame = pd.DataFrame({"a": [1, 2]})
    write_tables({"t": frame}, tmp_path)
    (tmp_path / paths.GENERATION_MARKER).unlink()
    assert read_tables(tmp_path, ("t",), "smartcity clean")["t"].equals(frame)


def test_the_analysis_is_stamped_with_the_inputs_it_read(tmp_path_factory):
    folder = processed_example(tmp_path_factory)
    meta = json.loads((paths.analysis_dir(folder) / paths.ANALYSIS_META).read_text(encoding="utf-8"))
    assert meta["inputs"] == {name: file_digest(folder / f"{name}.parquet") for name in ("regency_year", "scores")}
    assert not analysis_is_stale(folder)


def test_a_clean_during_the_analysis_leaves_it_stale_not_fresh(tmp_path_factory, tmp_path, monkeypatch):
    from smartcity_utils.analysis import run as analysis_run

    folder = tmp_path / "processed"
    shutil.copytree(processed_example(tmp_path_factory), folder)
    assert not analysis_is_stale(folder)
    changed = tmp_path / "raw"
    shutil.copytree(paths.EXAMPLE_RAW_DIR, changed)
    (changed / "formulir" / "ekspor_formulir_2024.csv").unlink()
    real = analysis_run.index_table

    def clean_meanwhile(frame):
        run_clean(changed, folder)  # another terminal cleans while the analysis runs
        return real(frame)

    monkeypatch.setattr(analysis_run, "index_table", clean_meanwhile)
    analysis_run.run_analysis(folder, n_draws=20, n_boot=5)
    assert analysis_is_stale(folder)


@pytest.mark.parametrize("edit", [
    pytest.param(lambda meta: meta.pop("inputs"), id="stamp_without_inputs"),
    pytest.param(lambda meta: meta.update(digest="0" * 64), id="other_code_or_settings"),
    pytest.param(lambda meta: meta.update(n_draws=meta["n_draws"] + 1), id="other_number_of_draws"),
    pytest.param(lambda meta: meta["inputs"].update(scores="0" * 64), id="other_scores"),
])
def test_the_analysis_is_stale_unless_its_stamp_matches(tmp_path_factory, tmp_path, edit):
    folder = tmp_path / "processed"
    shutil.copytree(processed_example(tmp_path_factory), folder)
    path = paths.analysis_dir(folder) / paths.ANALYSIS_META
    meta = json.loads(path.read_text(encoding="utf-8"))
    edit(meta)
    path.write_text(json.dumps(meta), encoding="utf-8")
    assert analysis_is_stale(folder)


@pytest.mark.parametrize("text, csv_text", [
    pytest.param("=HYPERLINK(\"http://x\",\"klik\")", "'=HYPERLINK(\"http://x\",\"klik\")", id="equals"),
    pytest.param("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0", id="plus"),
    pytest.param("-2+3", "'-2+3", id="minus_formula"),
    pytest.param("@SUM(A1:A9)", "'@SUM(A1:A9)", id="at"),
    pytest.param("\t=1", "'\t=1", id="tab"),
    pytest.param("-3,5", "-3,5", id="negative_number"),
    pytest.param("-", "-", id="missing_dash"),
    pytest.param("Becik", "Becik", id="plain"),
])
def test_text_excel_would_run_gets_an_apostrophe(text, csv_text):
    assert excel_safe_text(text) == csv_text


def test_csv_outputs_are_neutralised_and_parquet_keeps_the_text(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "register_quick_win.csv").write_text(
        "Kabupaten/Kota,Tahun,Pilar,Nama Program,Nilai Output,Keterangan\n"
        "Kukar,2022,Smart Governance,=HYPERLINK(\"http://x\"),3.5,\n"
        "Kukar,2022,Smart Branding,@Kukar Asia Wonders,=1+1,\n", encoding="utf-8")
    out = tmp_path / "out"
    run_clean(raw, out)
    names = pd.read_parquet(out / "quick_wins.parquet")["programme_name"].tolist()
    assert names == ["=HYPERLINK(\"http://x\")", "@Kukar Asia Wonders"]
    csv = pd.read_csv(out / "quick_wins.csv", dtype=str, keep_default_na=False)
    assert csv["programme_name"].tolist() == ["'=HYPERLINK(\"http://x\")", "'@Kukar Asia Wonders"]
    assert csv["score_output"].tolist()[0] == "3.5"  # numbers are numbers
    rejects = pd.read_csv(out / "rejects.csv", dtype=str, keep_default_na=False)
    assert "'=1+1" in rejects["value"].tolist()
    assert "=1+1" in pd.read_parquet(out / "rejects.parquet")["value"].tolist()
    saved = save_outputs(tmp_path / "nb", {"assessor_leniency": pd.DataFrame({"assessor": ["=cmd", "Asesor A"]})})
    assert pd.read_csv(saved[0], dtype=str)["assessor"].tolist() == ["'=cmd", "Asesor A"]


def test_a_change_to_the_code_makes_the_analysis_stale(tmp_path_factory, tmp_path, monkeypatch):
    from smartcity_utils import freshness

    folder = tmp_path / "processed"
    shutil.copytree(processed_example(tmp_path_factory), folder)
    assert not analysis_is_stale(folder)
    monkeypatch.setattr(freshness, "code_version", lambda: "0.1.0+edited")
    assert analysis_is_stale(folder)


def test_other_settings_asked_for_make_the_analysis_stale(tmp_path_factory, tmp_path):
    folder = tmp_path / "processed"
    shutil.copytree(processed_example(tmp_path_factory), folder)
    meta = json.loads((paths.analysis_dir(folder) / paths.ANALYSIS_META).read_text(encoding="utf-8"))
    ran_with = {k: meta[k] for k in ("seed", "n_draws", "n_boot")}
    assert not analysis_is_stale(folder, ran_with)
    assert analysis_is_stale(folder, {**ran_with, "seed": ran_with["seed"] + 1})


@pytest.mark.slow
def test_the_analysis_gives_identical_bytes_for_identical_inputs(tmp_path_factory, tmp_path, monkeypatch):
    from smartcity_utils.analysis.parallel import PROCESSES_VARIABLE
    from smartcity_utils.analysis.run import run_analysis

    first = processed_example(tmp_path_factory)  # the driver models beside the rest, on two cores or more
    again = tmp_path / "processed"
    shutil.copytree(first, again)
    shutil.rmtree(paths.analysis_dir(again))
    monkeypatch.setenv(PROCESSES_VARIABLE, "1")  # every step in one process, one after the other
    run_analysis(again, n_draws=200, n_boot=30)  # the settings of the session's example
    names = sorted(p.name for p in paths.analysis_dir(first).iterdir() if p.name != ".smartcity.lock")
    assert names == sorted(p.name for p in paths.analysis_dir(again).iterdir() if p.name != ".smartcity.lock")
    for name in names:
        assert (paths.analysis_dir(first) / name).read_bytes() == (paths.analysis_dir(again) / name).read_bytes(), name


def test_an_unchanged_analysis_is_not_computed_again(tmp_path, capsys):
    from smartcity_utils import commands

    raw = tmp_path / "raw"
    raw.mkdir()
    h.form_csv(raw / "ekspor_2024.csv")
    run_clean(raw, tmp_path / "processed")
    assert commands.analyse(tmp_path / "processed") == 0
    first = capsys.readouterr().out
    assert "analysis tables written" in first
    stamp = (paths.analysis_dir(tmp_path / "processed") / paths.ANALYSIS_META).read_bytes()
    assert commands.analyse(tmp_path / "processed") == 0
    assert "analysis unchanged" in capsys.readouterr().out
    assert (paths.analysis_dir(tmp_path / "processed") / paths.ANALYSIS_META).read_bytes() == stamp
    assert commands.analyse(tmp_path / "processed", force=True) == 0
    assert "analysis tables written" in capsys.readouterr().out
