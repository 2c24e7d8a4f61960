"""Helpers shared by the cleaning tests: small workbooks written by the tests, and the row accounting check."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

PILLARS = ["Smart Governance", "Smart Branding", "Smart Economy", "Smart Living", "Smart Society",
           "Smart Environment"]
DIMENSIONS = ["Baseline", "Output", "Outcome", "Impact", "Quick Win"]


def cases(**named: tuple) -> list:
    """Parametrised cases from keyword arguments: the name is the case's id, the tuple its values."""
    return [pytest.param(*values, id=name) for name, values in named.items()]


def workbook(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> Path:
    """Write a workbook with one sheet per entry (rows as lists); optional merged ranges per sheet."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for cells in (merges or {}).get(name, []):
            ws.merge_cells(cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def assessor_rows(regency: str | None, year: int | None, assessor: str | None, scores: list,
                  stage: str = "Tahap I", simulated: str = "tidak") -> list[list]:
    """An assessor sheet: label rows, the header, then the six pillars and five dimensions."""
    rows = [["LEMBAR PENILAIAN ASESOR"], ["Kabupaten/Kota:", regency], ["Tahun:", year], ["Tahap:", stage]]
    if assessor is not None:
        rows.append(["Asesor:", assessor])
    rows += [[], ["No", "Pilar", "Dimensi", "Nilai", "Keterangan", "Simulasi"]]
    for k, (name, score) in enumerate(zip(PILLARS + DIMENSIONS, scores), 1):
        pillar, dim = (name, None) if k <= 6 else (None, name)
        rows.append([k, pillar, dim, score, None, simulated])
    return rows


def recap_rows(year: int, rows: list[list], header: list[str] | None = None) -> list[list]:
    """A one-row-header recap: title, header (regency, province, the pillars, final, rank), rows."""
    header = header or ["Kabupaten/Kota", "Provinsi", *PILLARS, "Nilai Akhir", "Peringkat"]
    return [[f"REKAP EVALUASI SMART CITY TAHUN {year}"], header, *rows]


def assert_rows_accounted(cleaned, expected_rows: dict[str, int]) -> None:
    """Every raw data row is kept or rejected, and shows up in an output table.

    Args:
        cleaned: The result of ``clean_raw_folder``.
        expected_rows: Per file, the number of data rows below its header(s),
            counted by the test from what it wrote.
    """
    m = cleaned.manifest.set_index("source_file")
    assert (m.rows_read == m.rows_kept + m.rows_rejected).all()
    assert m.rows_read.to_dict() == expected_rows
    cols = ["source_file", "source_sheet", "source_row"]
    published = cleaned.published_facts.assign(source_sheet="")[cols]
    seen = pd.concat([cleaned.scores[cols], cleaned.quick_wins[cols], cleaned.rejects[cols], published,
                      _recap_rows(cleaned.regency_year)]).drop_duplicates()
    for file, n in expected_rows.items():
        assert (seen.source_file == file).sum() == n, (file, seen[seen.source_file == file])
    assert_plain_numbers(cleaned.rejects["value"].tolist() + cleaned.rejects["suggestion"].tolist())


def _recap_rows(regency_year: pd.DataFrame) -> pd.DataFrame:
    """The raw rows named in ``regency_year.source_rows`` (``rekap.xlsx (Kaltim) row 5; fakta.csv rows 2, 3``)."""
    import re

    found = []
    for text in regency_year.get("source_rows", pd.Series(dtype=object)).dropna():
        for part in text.split("; "):
            match = re.fullmatch(r"(.+?)(?: \((.+)\))? rows? ([\d, ]+)", part)
            for row in match.group(3).split(", "):
                found.append({"source_file": match.group(1), "source_sheet": match.group(2) or "",
                              "source_row": int(row)})
    return pd.DataFrame(found, columns=["source_file", "source_sheet", "source_row"])


def assert_plain_numbers(messages: list[str]) -> None:
    """No message shows a number as numpy writes it (``np.int64(2019)``), only as ``2019``."""
    leaked = [m for m in messages if "np." in m or "numpy" in m]
    assert not leaked, leaked[:3]
