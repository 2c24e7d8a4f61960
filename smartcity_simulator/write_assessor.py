"""The simulated assessor workbooks (layout ``assessor``): one sheet per assessor, with remarks."""

from __future__ import annotations

from typing import Any

import numpy as np

from smartcity_simulator.files import (
    SIM_LABEL,
    Faults,
    decimal_comma,
    fmt_cents,
    save_workbook,
)
from smartcity_simulator.model import RECAP_YEARS
from smartcity_utils import paths

PILLAR_REMARKS = {
    "smart_governance": ("Perlu integrasi SPBE dan Satu Data",
                         "Tingkatkan interoperabilitas aplikasi antar OPD"),
    "smart_branding": ("Perkuat promosi destinasi unggulan daerah",
                       "Perlu kalender event yang terdokumentasi"),
    "smart_economy": ("Rinci pendanaan dari APBD dan CSR (TJSP)",
                      "Perluas digitalisasi UMKM"),
    "smart_living": ("Integrasikan layanan kesehatan dan pendidikan",
                     "Perlu data capaian layanan publik"),
    "smart_society": ("Dokumentasikan partisipasi masyarakat",
                      "Tingkatkan literasi digital warga"),
    "smart_environment": ("Lengkapi data kualitas lingkungan",
                          "Perlu sistem peringatan dini bencana"),
}


DIMENSION_REMARKS = {
    "baseline": ("Data dasar cukup lengkap", "Lengkapi data dasar per pilar"),
    "output": ("Sebagian keluaran belum tercapai", "Keluaran sesuai rencana"),
    "outcome": ("Ukur capaian hasil secara berkala", "Hasil belum terukur"),
    "impact": ("Dampak bagi warga belum terukur", "Lakukan survei kepuasan warga"),
    "quick_wins": ("Keberlanjutan Quick Win perlu anggaran",
                   "Quick Win berjalan baik"),
}


def write_assessor_books(out_dir, rys, ref, gaz, seed, faults: Faults, national):
    from openpyxl import Workbook

    rng = np.random.default_rng([seed, 20])
    prov = dict(zip(gaz.regency, gaz.province))
    written = []
    targets = [ry for ry in rys.values() if ry.year in RECAP_YEARS
               and (national or (prov[ry.regency].startswith("Kalimantan")
                                 and ry.year in (2022, 2023)))]
    targets.sort(key=lambda r: (r.year, r.regency))
    labels = [ref.pillar_names[k] for k in ref.pillars] + [ref.dim_names[j] for j in ref.dims]
    comma_done = gov_done = label_done = False
    for ry in targets:
        fname = f"asesor/{ry.year}/penilaian_{paths.safe_slug(ry.regency)}_{ry.year}.xlsx"
        wb = Workbook(write_only=True)
        for a_i, assessor in enumerate(ry.panel):
            sheet = f"Asesor {a_i + 1}"
            ws = wb.create_sheet(sheet)
            name_cell = ry.regency
            if (not label_done and ry.regency == "Kabupaten Kutai Kartanegara"
                    and ry.year == 2023 and a_i == 1):
                name_cell, label_done = "Kukar", True
                faults.add(fname, sheet, 2, "Kabupaten/Kota:", name_cell, "regency_variant")
            rows: list[list[Any]] = [
                [SIM_LABEL],
                ["Kabupaten/Kota:", name_cell],
                ["Tahun:", ry.year],
                ["Tahap:", "Tahap I"],
                ["Asesor:", assessor],
                [],
                ["No", "Pilar", "Dimensi", "Nilai", "Keterangan", "Simulasi"],
            ]
            for i, key in enumerate(ref.pillars + ref.dims):
                is_p = i < len(ref.pillars)
                label = labels[i]
                row_no = len(rows) + 1
                if is_p and key == "smart_society" and ry.regency == "Kabupaten Kotawaringin Timur":
                    # Kotim's own documents say "Smart People" (docs/sources.md).
                    label = "Smart People"
                    faults.add(fname, sheet, row_no, "Pilar", label, "pillar_variant")
                elif is_p and key == "smart_governance" and not gov_done and a_i == 0:
                    label, gov_done = "Smart Gov", True
                    faults.add(fname, sheet, row_no, "Pilar", label, "pillar_variant")
                value: Any = fmt_cents(int(ry.scores[a_i, i]))
                if (not comma_done and not ry.fixed and i == 2 and a_i == 0
                        and rng.random() < 0.5):
                    value, comma_done = decimal_comma(value), True
                    faults.add(fname, sheet, row_no, "Nilai", value, "decimal_comma_text")
                remarks = PILLAR_REMARKS.get(key) or DIMENSION_REMARKS.get(key)
                remark = remarks[int(rng.integers(0, len(remarks)))] if rng.random() < 0.5 else None
                rows.append([i + 1, label if is_p else None, None if is_p else label,
                             value, remark, "ya"])
            for row in rows:
                ws.append(row)
        path = out_dir / fname
        save_workbook(wb, path)
        written.append(path)
    return written
