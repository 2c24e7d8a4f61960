"""The raw folder is read-only to the cleaner, and every entry in it is read or refused, never skipped in silence."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fixtures import hostile_files as h

from smartcity_utils.clean.assemble import clean_raw_folder, discover_files, run_clean
from smartcity_utils.errors import RawFileError, UserError


@pytest.fixture()
def raw(tmp_path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    h.form_csv(folder / "ekspor_2024.csv")
    return folder


def test_a_link_to_a_file_is_read_through_the_link(raw, tmp_path):
    kept = tmp_path / "arsip" / "rekap_2022.xlsx"
    kept.parent.mkdir()
    h.write_xlsx(kept, h.rows_xml(h.RECAP_ROWS))
    (raw / "rekap_2022.xlsx").symlink_to(kept)
    assert [p.name for p in discover_files(raw)] == ["ekspor_2024.csv", "rekap_2022.xlsx"]
    assert clean_raw_folder(raw).manifest["source_file"].tolist() == ["ekspor_2024.csv", "rekap_2022.xlsx"]


@pytest.mark.parametrize("make, expected", [
    pytest.param(lambda raw, tmp: (raw / "rekap_2023.xlsx").symlink_to(tmp / "gone.xlsx"),
                 "rekap_2023.xlsx is a link to {tmp}/gone.xlsx, which does not exist", id="dangling_link"),
    pytest.param(lambda raw, tmp: ((tmp / "other").mkdir(), (raw / "lain").symlink_to(tmp / "other")),
                 "lain is a link to the folder {tmp}/other, which is not followed", id="linked_folder"),
    pytest.param(lambda raw, tmp: os.mkfifo(raw / "ekspor_2025.csv"),
                 "ekspor_2025.csv is a FIFO, not a file the cleaner can read", id="fifo"),
])
def test_an_entry_that_cannot_be_read_stops_the_run_naming_it(raw, tmp_path, make, expected):
    make(raw, tmp_path)
    with pytest.raises(RawFileError) as err:
        clean_raw_folder(raw)
    assert str(err.value).startswith(expected.format(tmp=tmp_path))


def test_every_problem_is_listed_in_one_line(raw, tmp_path):
    (raw / "a.xlsx").symlink_to(tmp_path / "gone.xlsx")
    os.mkfifo(raw / "b.csv")
    (raw / "c.docx").write_text("x", encoding="utf-8")
    with pytest.raises(RawFileError) as err:
        discover_files(raw)
    message = str(err.value)
    assert message.startswith(f"{raw}: 3 entries cannot be read: a.xlsx is a link") and "\n" not in message
    assert "b.csv is a FIFO" in message and "c.docx: file type .docx is not read" in message


def test_an_unreadable_file_is_named_not_skipped(raw, monkeypatch):
    (raw / "rahasia.xlsx").write_bytes(b"PK")
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p).name == "rahasia.xlsx" else real(p, mode))
    with pytest.raises(RawFileError, match=r"^rahasia\.xlsx cannot be read \(permission denied\)"):
        discover_files(raw)


def test_hidden_files_lock_files_and_notes_are_skipped_by_rule(raw):
    (raw / ".DS_Store").write_bytes(b"\0")
    (raw / "~$rekap.xlsx").write_bytes(b"\0")
    (raw / "README.md").write_text("origin\n", encoding="utf-8")
    (raw / "_arsip").mkdir()
    (raw / "_arsip" / "lama.docx").write_text("x", encoding="utf-8")
    assert [p.name for p in discover_files(raw)] == ["ekspor_2024.csv"]


def test_output_inside_the_raw_folder_is_refused_and_the_raw_file_stays(raw):
    (raw / "quick_wins.csv").write_text("Kabupaten/Kota,Tahun,Pilar,Nama Program\n", encoding="utf-8")
    before = (raw / "quick_wins.csv").read_bytes()
    for out in (raw, raw / "processed"):
        with pytest.raises(UserError, match="lies in the raw folder .* which is never written to"):
            run_clean(raw, out)
    assert (raw / "quick_wins.csv").read_bytes() == before and not (raw / "processed").exists()


def test_a_folder_without_data_files_leaves_the_previous_tables(raw, tmp_path):
    out = tmp_path / "out"
    run_clean(raw, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("to come\n", encoding="utf-8")
    with pytest.raises(RawFileError, match=r"holds no data file .* the tables in .* are left as they were"):
        run_clean(empty, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
