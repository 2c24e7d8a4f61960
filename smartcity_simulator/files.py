"""What every writer of a simulated raw file shares: the simulated-data label, fixed file times, number
formats as regional files write them, and the list of deliberate faults."""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from smartcity_utils.tables import atomic_write

SIM_LABEL = "DATA SIMULASI - bukan nilai resmi"


FIXED_TIME = _dt.datetime(2024, 12, 31, 0, 0, 0)


INSTITUTIONS = (
    "BRIN", "WANTIKNAS", "UKSW", "Bappenas", "Universitas Pasundan", "KemenPANRB",
)


def fmt_cents(cents: int, scale: float = 1.0) -> float:
    return round(cents * scale / 100.0, 2)


def decimal_comma(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def short_name(name: str) -> str:
    return re.sub(r"^(Kabupaten|Kota)\s+", "", name).split(" (")[0]


def csv_bytes(rows: list[list[Any]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerows(rows)
    text = buf.getvalue()
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def save_workbook(wb: Any, path: Path) -> None:
    """Save a workbook atomically with fixed timestamps (byte-stable output)."""
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    wb.save(raw)
    # openpyxl stamps the save time into docProps/core.xml and the zip
    # entries; both are pinned so that equal inputs give equal files.
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(zi, data)
    atomic_write(path, out.getvalue())


class Faults:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, file: str, sheet: str, row: Any, column: str, value: Any, fault: str) -> None:
        self.items.append({"file": file, "sheet": sheet, "row": row,
                           "column": column, "value": value, "fault": fault})
