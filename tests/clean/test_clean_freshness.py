"""`smartcity clean` on unchanged raw files: skipped, with the same summary; any change cleans again.

The raw folder is a provincial recap written here as a user has it (a name, a province, a final score)
and one row a cleaner must reject, so that the summary has something to repeat.
"""

from __future__ import annotations

import pytest
from clean_helpers import workbook

from smartcity_utils import commands, paths

SKIPPED = "raw files unchanged"


def _recap(raw, score: float = 2.88) -> None:
    workbook(raw / "rekap_kaltim_2023.xlsx", {"Rekap": [
        ["REKAP EVALUASI SMART CITY TAHUN 2023"],
        ["No", "Kabupaten/Kota", "Provinsi", "Nilai Akhir"],
        [1, "Kutai Kartanegara", "Kalimantan Timur", 3.12],
        [2, "Paser", "Kalimantan Timur", score],
        [3, "Kabupaten Tidak Ada", "Kalimantan Timur", 2.5],  # unknown: one reject
    ]})


def _clean(raw, out, capsys, **kwargs) -> str:
    assert commands.clean(raw, out, progress=False, **kwargs) == 0
    return capsys.readouterr().out


def _times(out) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}


@pytest.fixture
def cleaned_once(tmp_path, capsys):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    _recap(raw)
    first = _clean(raw, out, capsys)
    assert SKIPPED not in first
    return raw, out, first


def _summary(printed: str) -> list[str]:
    """The lines a user reads after the folder line, with the one word that tells a rerun apart."""
    return [line.replace("cleaned before ", "cleaned ") for line in printed.splitlines()
            if not line.startswith(("reading ", SKIPPED))]


def test_unchanged_raw_files_are_not_cleaned_again_and_the_summary_is_the_same(cleaned_once, capsys):
    raw, out, first = cleaned_once
    before = _times(out)
    again = _clean(raw, out, capsys)
    assert again.splitlines()[1].startswith(f"{SKIPPED}: ") and "--force" in again
    assert "cleaned before 1 files: 3 rows read, 2 kept" in again
    assert _summary(again) == _summary(first)  # the rejects, by reason and per file, said again
    assert _times(out) == before  # nothing written


@pytest.mark.parametrize("change", ["a raw file edited", "a raw file added", "a table deleted", "a table edited",
                                    "--force", "a reading limit"])
def test_any_change_cleans_again(cleaned_once, capsys, monkeypatch, change):
    raw, out, _ = cleaned_once
    kwargs = {}
    if change == "a raw file edited":
        _recap(raw, score=2.91)
    elif change == "a raw file added":
        workbook(raw / "rekap_kaltara_2023.xlsx", {"Rekap": [["REKAP EVALUASI SMART CITY TAHUN 2023"],
                                                             ["Kabupaten/Kota", "Nilai Akhir"], ["Bulungan", 2.4]]})
    elif change == "a table deleted":
        paths.table_file(out, "regency_year").unlink()
    elif change == "a table edited":
        with open(paths.table_file(out, "rejects", ".csv"), "a", encoding="utf-8") as fh:
            fh.write("\n")
    elif change == "--force":
        kwargs["force"] = True
    else:
        monkeypatch.setenv("SMARTCITY_MAX_ROWS", "150000")
    again = _clean(raw, out, capsys, **kwargs)
    assert SKIPPED not in again
    assert f"cleaned {2 if change == 'a raw file added' else 1} files" in again
    assert paths.table_file(out, "regency_year").is_file()
    if change == "a raw file edited":
        import pandas as pd

        paser = pd.read_parquet(paths.table_file(out, "regency_year")).query("regency == 'Kabupaten Paser'")
        assert paser["final_score_reported"].tolist() == [2.91]
    # And the next run on the new state is skipped again.
    assert SKIPPED in _clean(raw, out, capsys, **kwargs) or change == "--force"


def test_a_raw_file_changed_while_it_was_cleaned_makes_the_next_run_clean(tmp_path, capsys, monkeypatch):
    """The stamp is of the files as they were before the run read them: an edit during the run is not missed."""
    from smartcity_utils.clean import assemble

    raw, out = tmp_path / "raw", tmp_path / "processed"
    _recap(raw)
    reading = assemble.clean_raw_folder

    def edited_while_read(*args, **kwargs):
        cleaned = reading(*args, **kwargs)
        _recap(raw, score=2.95)  # saved in Excel while the cleaning ran
        return cleaned

    monkeypatch.setattr(assemble, "clean_raw_folder", edited_while_read)
    _clean(raw, out, capsys)
    monkeypatch.undo()
    assert SKIPPED not in _clean(raw, out, capsys)


def test_a_raw_folder_that_cannot_be_read_whole_is_never_taken_as_unchanged(cleaned_once, capsys):
    """A link to nothing in the raw folder: the cleaning runs and stops naming it, as on a first run."""
    from smartcity_utils.errors import RawFileError

    raw, out, _ = cleaned_once
    (raw / "rekap_lama.xlsx").symlink_to(raw / "dipindahkan.xlsx")
    with pytest.raises(RawFileError, match="rekap_lama.xlsx"):
        commands.clean(raw, out, progress=False)
