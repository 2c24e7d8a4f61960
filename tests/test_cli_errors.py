"""Every command's failures end in one line and a non-zero status: no traceback for anything a user can do."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures import hostile_files as h

from smartcity_utils import cli, commands
from smartcity_utils.clean.assemble import run_clean
from smartcity_utils.clean.template import MAX_ASSESSOR_SHEETS

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    """Processed tables of one form export (Kabupaten Paser, 2024) and its index from a recap."""
    raw = tmp_path_factory.mktemp("raw")
    h.form_csv(raw / "ekspor_2024.csv")
    (raw / "rekap_2024.csv").write_text("Kabupaten/Kota,Tahun,Nilai Akhir\nKabupaten Paser,2024,\"3,10\"\n",
                                        encoding="utf-8")
    out = tmp_path_factory.mktemp("processed")
    run_clean(raw, out)
    return out


def _run(argv: list[str], capsys) -> tuple[int, str]:
    """Run the command line in this process; the status and what it printed on stderr."""
    try:
        status = cli.main(argv)
    except SystemExit as exc:  # argparse's own exit
        status = exc.code
    return status, capsys.readouterr().err


def _one_line(status: int, err: str) -> str:
    assert status not in (0, None), err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("smartcity"), err
    return err.strip()


@pytest.mark.parametrize("argv, expected", [
    pytest.param(["report", "--regency", "Paser", "--timeout", "0"], "--timeout 0: give the time limit",
                 id="timeout_0"),
    pytest.param(["report", "--regency", "Paser", "--workers", "0"], "--workers 0: give a number", id="workers_0"),
    pytest.param(["report", "--regency", "Paser", "--workers", "-2"], "--workers -2: give a number", id="workers_neg"),
    pytest.param(["report", "--regency", "Paser", "--workers", "100000"], "--workers 100000", id="workers_huge"),
    pytest.param(["report", "--regency", "Paser", "--workers", "two"], "invalid int value: 'two'", id="workers_text"),
    pytest.param(["report", "--regency", "Nowhere Regency"], "Nowhere Regency", id="unknown_regency"),
    pytest.param(["report", "--lang", "fr", "--regency", "Paser"], "invalid choice: 'fr'", id="bad_lang"),
    pytest.param(["report"], "say which reports to render", id="no_selection"),
    pytest.param(["notebooks", "--workers", "0"], "--workers 0", id="notebooks_workers_0"),
    pytest.param(["run", "--workers", "-1"], "--workers -1", id="run_workers"),
    pytest.param(["analyse", "--seed", "-1"], "--seed -1: give 0 or a positive whole number", id="negative_seed"),
    pytest.param(["template", "--assessors", "100000"],
                 f"--assessors 100000: a template holds at most {MAX_ASSESSOR_SHEETS}", id="assessors_huge"),
    pytest.param(["template", "--assessors", "0"], "--assessors 0", id="assessors_0"),
    pytest.param(["drivers", "missing.csv", "--target", "final_score"], "missing.csv", id="drivers_missing_file"),
    pytest.param(["clean", "--raw", "does/not/exist"], "raw data folder not found", id="missing_raw"),
    pytest.param(["frobnicate"], "invalid choice: 'frobnicate'", id="unknown_command"),
])
def test_bad_values_end_in_one_line(argv, expected, processed, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if argv[0] in ("report", "notebooks", "analyse"):
        argv = argv + ["--processed", str(processed)]
    if argv[0] in ("report", "notebooks", "template", "clean"):
        argv = argv + ["--out", str(tmp_path / ("out.xlsx" if argv[0] == "template" else "out"))]
    line = _one_line(*_run(argv, capsys))
    assert expected in line, line


def test_a_misspelt_option_value_is_one_line_with_where_to_look(capsys):
    status, err = _run(["report", "--timeout", "soon"], capsys)
    line = _one_line(status, err)
    assert status == 2 and line.endswith("(see smartcity report --help)")


def test_the_drivers_command_with_a_missing_column_is_one_line(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text("unit,score,a,b\n1,3,1,2\n2,4,2,1\n", encoding="utf-8")
    line = _one_line(*_run(["drivers", str(table), "--target", "indeks"], capsys))
    assert "indeks" in line


def test_template_refuses_to_replace_a_filled_workbook_without_force(tmp_path, capsys):
    target = tmp_path / "penilaian.xlsx"
    assert _run(["template", "--out", str(target)], capsys)[0] == 0
    target.write_bytes(b"scores typed in by an assessor")
    line = _one_line(*_run(["template", "--out", str(target)], capsys))
    assert "already exists" in line and "--force" in line
    assert target.read_bytes() == b"scores typed in by an assessor"
    assert _run(["template", "--out", str(target), "--force"], capsys)[0] == 0
    assert target.read_bytes()[:2] == b"PK"


def test_template_onto_an_unwritable_path_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder", encoding="utf-8")
    line = _one_line(*_run(["template", "--out", str(blocker / "penilaian.xlsx")], capsys))
    assert str(blocker) in line and "cannot be written" in line


def test_clean_never_writes_into_its_raw_folder(tmp_path, capsys):
    raw = tmp_path / "D"
    raw.mkdir()
    h.form_csv(raw / "ekspor_2024.csv")
    (raw / "quick_wins.csv").write_text("a user's own file\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in raw.iterdir()}
    for out in (raw, raw / "processed"):
        line = _one_line(*_run(["clean", "--raw", str(raw), "--out", str(out)], capsys))
        assert "lies in the raw folder" in line
    assert {p.name: p.read_bytes() for p in raw.iterdir()} == before


def test_reports_are_never_written_into_a_raw_folder(processed, tmp_path, capsys, monkeypatch):
    from smartcity_utils import paths

    monkeypatch.setattr(paths, "RAW_DIR", tmp_path / "raw")
    line = _one_line(*_run(["report", "--regency", "Paser", "--processed", str(processed),
                            "--out", str(tmp_path / "raw" / "reports")], capsys))
    assert "lies in the raw folder" in line


def test_a_link_in_the_reports_folder_that_leads_out_is_one_line(processed, tmp_path, capsys):
    from smartcity_utils.report.generations import start_generation

    out = tmp_path / "reports"
    start_generation(out, processed)  # a folder of pages of this data: nothing of it is moved aside
    (out / "kabupaten-paser.id.html").symlink_to(tmp_path / "elsewhere.html")
    line = _one_line(*_run(["report", "--regency", "Paser", "--processed", str(processed), "--out", str(out)],
                           capsys))
    assert "outside the output folder" in line and "remove the link" in line
    assert not (tmp_path / "elsewhere.html").exists()


def test_a_file_name_with_a_line_break_cannot_forge_a_second_line(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "notes\nsmartcity: error: all is well.docx").write_text("x", encoding="utf-8")
    line = _one_line(*_run(["clean", "--raw", str(raw), "--out", str(tmp_path / "out")], capsys))
    assert "notes\\nsmartcity: error: all is well.docx" in line


def test_an_empty_raw_folder_stops_and_leaves_the_previous_tables(tmp_path, capsys):
    raw, empty, out = tmp_path / "raw", tmp_path / "empty", tmp_path / "out"
    raw.mkdir()
    empty.mkdir()
    (empty / "README.md").write_text("nothing yet\n", encoding="utf-8")
    h.form_csv(raw / "ekspor_2024.csv")
    assert _run(["clean", "--raw", str(raw), "--out", str(out), "--quiet"], capsys)[0] == 0
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
    line = _one_line(*_run(["clean", "--raw", str(empty), "--out", str(out)], capsys))
    assert "holds no data file" in line and "left as they were" in line
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()} == before


def test_run_on_an_empty_raw_folder_stops_before_any_step(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "SMARTCITY_DATA_DIR": str(tmp_path / "data"),
           "SMARTCITY_REPORTS_DIR": str(tmp_path / "reports")}
    done = subprocess.run([sys.executable, "-m", "smartcity_utils", "run", "--raw", str(empty), "--quiet"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "holds no data file" in done.stderr
    assert not list((tmp_path / "data").glob("processed/*.parquet"))


def test_output_piped_to_a_closed_reader_is_one_line(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    h.form_csv(raw / "ekspor_2024.csv")
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head -1` once head has gone
    try:
        done = subprocess.run([sys.executable, "-m", "smartcity_utils", "clean", "--raw", str(raw),
                               "--out", str(tmp_path / "out"), "--quiet"], cwd=REPO, stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 141 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr == "smartcity: output closed early (broken pipe); the command stopped there\n"


def test_a_second_run_on_the_same_folder_stops_in_one_line(tmp_path, capsys):
    from smartcity_utils.tables import folder_lock

    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    h.form_csv(raw / "ekspor_2024.csv")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from smartcity_utils.tables import folder_lock\n"
        f"with folder_lock({str(out)!r}, 'analyse'):\n    print('held', flush=True); time.sleep(60)")],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        line = _one_line(*_run(["clean", "--raw", str(raw), "--out", str(out)], capsys))
        assert "is in use by `smartcity analyse` (process" in line and "wait until it ends" in line
        assert not list(out.glob("*.parquet"))
    finally:
        holder.kill()
        holder.wait()
    # The lock goes with the process that held it, however it ended.
    assert _run(["clean", "--raw", str(raw), "--out", str(out), "--quiet"], capsys)[0] == 0
    with folder_lock(out, "clean"), folder_lock(out, "analyse"):  # the same run may take it again
        pass


def test_workers_beyond_the_cores_are_refused_with_the_range():
    with pytest.raises(Exception, match=rf"from 1 to {commands.max_workers()}"):
        commands.check_workers(commands.max_workers() + 1)
    commands.check_workers(commands.max_workers())
    commands.check_workers(None)


@pytest.mark.parametrize("command", [["report", "--regency", "Paser"], ["notebooks"], ["focus", "Paser", "Kukar"]])
def test_no_output_goes_into_the_raw_folder_the_tables_were_cleaned_from(command, processed, capsys):
    import pandas as pd

    raw = Path(pd.read_csv(processed / "manifest.csv")["raw_folder"].iloc[0])
    before = sorted(p.name for p in raw.rglob("*"))
    for out in (raw, raw / "laporan"):
        line = _one_line(*_run([*command, "--processed", str(processed), "--out", str(out)], capsys))
        assert "lies in the raw folder" in line and str(raw) in line
    assert sorted(p.name for p in raw.rglob("*")) == before


@pytest.mark.parametrize("column, value", [("indeks", "1e200"), ("a", "1e308"), ("b", "-1e60")])
def test_the_drivers_command_names_a_column_it_cannot_compute_with(column, value, tmp_path, capsys):
    rows = [{"unit": k, "indeks": 2 + k / 10, "a": (k * 7) % 5, "b": (k * 3) % 4 + k / 10} for k in range(12)]
    rows[5][column] = value
    table = tmp_path / "t.csv"
    table.write_text("unit,indeks,a,b\n" + "".join(f"{r['unit']},{r['indeks']},{r['a']},{r['b']}\n" for r in rows),
                     encoding="utf-8")
    line = _one_line(*_run(["drivers", str(table), "--target", "indeks", "--pillars", "a", "b"], capsys))
    assert f"row 7, column '{column}'" in line and "rescale" in line


def test_a_full_disk_is_one_line_naming_the_file_and_the_previous_tables_stay(tmp_path, capsys, monkeypatch):
    import errno

    import pandas as pd

    raw, out = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    h.form_csv(raw / "ekspor_2024.csv")
    assert _run(["clean", "--raw", str(raw), "--out", str(out), "--quiet"], capsys)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PAR1")  # a part written, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    line = _one_line(*_run(["clean", "--raw", str(raw), "--out", str(out), "--quiet", "--force"], capsys))
    assert "No space left on device" in line and str(out / "scores.parquet") in line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no staging folder left either


def test_no_progress_bar_reaches_a_log_file(tmp_path):
    # stderr is a pipe here, as when make all is written to a log: the steps print lines, never bars.
    import os
    import subprocess
    import sys

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "rekap_2023.csv").write_text("Kabupaten/Kota;Tahun;Nilai Akhir\nKukar;2023;3,25\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("TQDM_DISABLE", "CI")}
    done = subprocess.run([sys.executable, "-m", "smartcity_utils", "clean", "--raw", str(raw), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr and "%|" not in done.stderr, done.stderr


def test_a_command_whose_output_is_not_a_terminal_draws_no_bar(monkeypatch):
    # The report runner draws its bar unless told otherwise (TQDM_DISABLE alone does not stop it).
    from smartcity_utils import cli

    seen = {}
    monkeypatch.setattr(cli.commands, "report", lambda *a, **k: seen.update(k) or 0)
    monkeypatch.setattr(cli, "_on_terminal", lambda: False)
    assert cli.main(["report", "--regency", "Kukar"]) == 0
    assert seen["progress"] is False
    monkeypatch.setattr(cli, "_on_terminal", lambda: True)
    assert cli.main(["report", "--regency", "Kukar"]) == 0
    assert seen["progress"] is True
