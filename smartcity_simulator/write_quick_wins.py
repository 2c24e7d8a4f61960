"""The simulated Quick Win register (layout ``quick_wins``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from smartcity_simulator.files import (
    SIM_LABEL,
    Faults,
    decimal_comma,
    save_workbook,
    short_name,
)
from smartcity_simulator.model import QUICK_WIN_YEARS

#: Real Quick Win programme names of Kutai Kartanegara in 2022 (docs/sources.md);
#: their scores are simulated.
REAL_QUICK_WINS = {
    ("Kabupaten Kutai Kartanegara", 2022): {
        "smart_governance": "Becik",
        "smart_branding": "Kukar Asia Wonders",
        "smart_economy": "Bangmus Kebulan",
        "smart_society": "Kidung",
        "smart_living": "Siruni",
        "smart_environment": "Smart Bio Village",
    }
}


_PROGRAMME_STEMS = {
    "smart_governance": ("Satu Data {s}", "Mal Pelayanan Publik Digital",
                         "E-Office {s}", "Layanan Aduan Warga Terpadu"),
    "smart_branding": ("Pesona {s}", "Festival Budaya {s}",
                       "Desa Wisata Digital", "Kalender Event {s}"),
    "smart_economy": ("UMKM Go Digital", "Pasar Online {s}",
                      "Inkubator Wirausaha Muda", "Koperasi Digital"),
    "smart_living": ("Puskesmas Online", "Layanan Kesehatan Terpadu",
                     "Ruang Publik Cerdas", "Transportasi Publik Terintegrasi"),
    "smart_society": ("Kampung Literasi Digital", "Relawan TIK {s}",
                      "Sekolah Ramah Digital", "Forum Warga Cerdas"),
    "smart_environment": ("Bank Sampah Digital", "Kampung Iklim {s}",
                          "Pemantauan Kualitas Udara", "Peringatan Dini Banjir"),
}


def write_quick_wins(out_dir, rys, ref, params, seed, faults: Faults):
    from openpyxl import Workbook

    rng = np.random.default_rng([seed, 40])
    fname = "quick_win/register_quick_win.xlsx"
    sheet = "Quick Win"
    header = ["Kabupaten/Kota", "Tahun", "Pilar", "Nama Program", "Nilai Output",
              "Nilai Outcome", "Nilai Dampak", "Nilai Keberlanjutan", "Keterangan", "Simulasi"]
    rows: list[list[Any]] = [[SIM_LABEL], header]
    qi = ref.dims.index("quick_wins") if "quick_wins" in ref.dims else len(ref.dims) - 1
    entries = sorted((ry for ry in rys.values() if ry.year in QUICK_WIN_YEARS),
                     key=lambda r: (r.year, r.regency))
    misspelt = comma = False
    # Misspellings the alias table does not know, one row each: the row is listed with the nearest name.
    # They sit in this register, not in a recap, so that no evaluation group loses a member.
    misspellings = {("Kabupaten Kutai Kartanegara", 2023): "Kutai Kartanegra"}
    for ry in entries:
        real = REAL_QUICK_WINS.get((ry.regency, ry.year), {})
        for k in ref.pillars:
            stems = _PROGRAMME_STEMS[k]
            name = real.get(k) or stems[int(rng.integers(0, len(stems)))].format(s=short_name(ry.regency))
            base = float(ry.true_d[qi]) + rng.normal(0, params["sd_quick_win_programme"])
            vals = np.clip(base + rng.normal(0, params["sd_quick_win_score"], 4), 0, 4)
            vals = [round(float(v), 2) for v in vals]
            note = ("nama program dari dokumen daerah; nilai simulasi" if real
                    else None)
            regency = ry.regency
            row = [regency, ry.year, ref.pillar_names[k], name] + vals + [note, "ya"]
            rows.append(row)
            if not misspelt and ry.regency == "Kabupaten Kotawaringin Timur":
                row[0], misspelt = "Kotawaringin Timr", True
                faults.add(fname, sheet, len(rows), "Kabupaten/Kota", row[0],
                           "regency_misspelling")
            elif not comma and not real and ry.year == 2023 and rng.random() < 0.05:
                row[5], comma = decimal_comma(row[5]), True
                faults.add(fname, sheet, len(rows), "Nilai Outcome", row[5],
                           "decimal_comma_text")
            elif (ry.regency, ry.year) in misspellings:
                row[0] = misspellings.pop((ry.regency, ry.year))
                faults.add(fname, sheet, len(rows), "Kabupaten/Kota", row[0], "regency_misspelling")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for row in rows:
        ws.append(row)
    path = out_dir / fname
    save_workbook(wb, path)
    return path
