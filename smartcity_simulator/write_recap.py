"""The simulated recap workbooks (layout ``recap``), with their header variants and planted faults."""

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
from smartcity_simulator.model import SCALE_100_YEARS

#: Header spellings per recap year; each must exist in the alias tables.
HEADER_VARIANTS = {
    2019: {"smart_governance": "Smart Government"},
    2020: {"smart_society": "Smart People"},
    2021: {"smart_environment": "Smart Environtment", "quick_wins": "Qiuck Wins"},
    2022: {"smart_economy": "Smart Economym"},
    2023: {"smart_living": "Kualitas Hidup"},
}


def _recap_rows(year, rys, ref, gaz_prov, seed, rng, faults, fname, sheet, protected):
    pillars, dims = ref.pillars, ref.dims
    scale = 25.0 if year in SCALE_100_YEARS else 1.0
    variants = HEADER_VARIANTS.get(year, {})
    p_head = [variants.get(k, ref.pillar_names[k]) for k in pillars]
    d_head = [variants.get(j, ref.dim_names[j]) for j in dims]
    columns = (["No", "Kabupaten/Kota", "Provinsi", "Angkatan", "Kelompok"] + p_head
               + d_head + ["Nilai Akhir", "Peringkat", "Keterangan", "Simulasi"])
    scale_txt = "Skala 0-100" if scale != 1.0 else "Skala 0-4"
    sheet_rows: list[list[Any]] = [
        [f"REKAPITULASI HASIL EVALUASI GERAKAN MENUJU 100 SMART CITY TAHUN {year}"],
        [SIM_LABEL],
        [f"{scale_txt} (nilai per pilar, per dimensi dan Nilai Akhir)"],
    ]
    top = ["No", "Kabupaten/Kota", "Provinsi", "Angkatan", "Kelompok", "Nilai Pilar"] \
        + [None] * 5 + ["Nilai Dimensi"] + [None] * 4 \
        + ["Nilai Akhir", "Peringkat", "Keterangan", "Simulasi"]
    sub = [None] * 5 + p_head + d_head + [None] * 4
    sheet_rows += [top, sub]
    header_sub = sub
    for k, alias in variants.items():
        col = (p_head + d_head).index(alias)
        faults.append((header_sub, columns[5 + col], alias,
                       "pillar_variant" if k in ref.pillars
                       else "dimension_variant"))
    # A year of several letter groups lists each group apart, in its own rank order.
    entries = sorted((ry for ry in rys.values() if ry.year == year), key=lambda x: (x.group, x.rank, x.regency))
    data_rows = []
    for i, ry in enumerate(entries, start=1):
        remark = None
        if ry.published:
            remark = f"Sesuai publikasi: {', '.join(ry.published)}"
            if len(ry.published) < len(pillars) + len(dims) + 1:
                remark += "; nilai lain simulasi"
        row = ([i, ry.regency, gaz_prov[ry.regency], ry.cohort, ry.group]
               + [fmt_cents(int(c), scale) for c in ry.recap]
               + [fmt_cents(ry.final, scale), ry.rank, remark, "ya"])
        data_rows.append((ry, row))
    return columns, sheet_rows, data_rows, header_sub


def write_recap(out_dir, year, rys, ref, gaz, seed, faults: Faults, protected, national):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    rng = np.random.default_rng([seed, 10, year])
    fname = f"rekap/rekap_evaluasi_{year}.xlsx"
    sheet = f"Rekap {year}"
    gaz_prov = dict(zip(gaz.regency, gaz.province))
    pending: list[tuple[list, str, Any, str]] = []
    columns, sheet_rows, data_rows, header_sub = _recap_rows(
        year, rys, ref, gaz_prov, seed, rng, pending, fname, sheet, protected)
    scale = 25.0 if year in SCALE_100_YEARS else 1.0
    value_cols = list(range(5, 16))  # pillar and dimension scores
    sum_cols = list(range(5, 17))  # the same plus Nilai Akhir
    free = [r for ry, r in data_rows if ry.regency not in protected]

    def pick_free() -> list:
        return free.pop(int(rng.integers(0, len(free))))

    # Regency spellings the alias table or gazetteer resolves, and misspellings.
    name_faults = {
        2019: [("Kabupaten Kutai Kartanegara", "Kab. Kutai Kartanegara", "regency_variant")],
        2021: [("Kabupaten Kutai Kartanegara", "Kukar", "regency_variant")],
        2022: [("Kabupaten Kutai Kartanegara", "KUTAI KARTANEGARA", "regency_variant")],
        2023: [("Kabupaten Kotawaringin Timur", "Kotim", "regency_variant"),
               ("Kabupaten Paser", "Kab Paser", "regency_variant")],
    }
    for canonical, variant, kind in name_faults.get(year, []):
        for ry, row in data_rows:
            # Spelling faults are deliberate choices: only a row carrying a
            # published figure is off limits.
            if ry.regency == canonical and not ry.fixed:
                row[1] = variant
                pending.append((row, "Kabupaten/Kota", variant, kind))
                break

    def value_fault(token_fn, kind):
        row = pick_free()
        col = value_cols[int(rng.integers(0, len(value_cols)))]
        token = token_fn(row[col])
        row[col] = token
        pending.append((row, columns[col], token, kind))

    if scale != 1.0:
        value_fault(lambda v: 112, "out_of_range")
        value_fault(lambda v: "-", "missing")
    else:
        value_fault(lambda v: decimal_comma(v), "decimal_comma_text")
        if year in (2020, 2023):
            value_fault(lambda v: "n/a", "missing")
        if year in (2021, 2022):
            value_fault(lambda v: "belum dinilai", "missing")
        if year in (2021, 2023):
            value_fault(lambda v: 4.7, "out_of_range")
        if year == 2022:
            value_fault(lambda v: "-", "missing")

    body: list[list[Any]] = [r for _, r in data_rows]
    # Structural faults: blank rows, a subtotal, a duplicate and a regency
    # that does not exist.
    if year in (2019, 2022) and len(body) > 10:
        pos = int(rng.integers(3, len(body) - 3))
        blank: list[Any] = [None] * len(columns)
        body.insert(pos, blank)
        pending.append((blank, "Kabupaten/Kota", "", "blank_row"))
    if len({ry.group for ry, _ in data_rows}) > 1:
        # The first group's average below its rows, as a recap of several letter groups may carry it.
        label = min(ry.group for ry, _ in data_rows)
        block = [r for ry, r in data_rows if ry.group == label]
        if block:
            vals = [np.mean([r[c] for r in block if isinstance(r[c], (int, float))])
                    for c in sum_cols]
            subtotal = ([None, f"Rata-rata {label}", None, None, label]
                        + [round(float(v), 2) for v in vals] + [None, None, "ya"])
            body.insert(body.index(block[-1]) + 1, subtotal)
            pending.append((subtotal, "Kabupaten/Kota", subtotal[1], "subtotal_row"))
    if year == 2020 and free:
        orig = pick_free()
        dup = list(orig)
        body.insert(body.index(orig) + 1, dup)
        pending.append((dup, "Kabupaten/Kota", dup[1], "duplicate_row"))
    if year == 2021 and len(body) > 5:
        template = free[0] if free else body[0]
        ghost = [len(data_rows) + 1, "Kabupaten Kutai Tengah", "Kalimantan Timur",
                 template[3], template[4]] + list(template[5:16]) + [template[16], None,
                                                                    None, "ya"]
        body.insert(int(rng.integers(5, len(body))), ghost)
        pending.append((ghost, "Kabupaten/Kota", ghost[1], "unknown_regency"))

    weights = ref.weights[year]
    wtxt = "/".join(str(int(weights[j] * 100)) for j in ref.dims)
    foot_blank: list[Any] = [None] * len(columns)
    notes = [
        [f"Sumber: simulasi smartcity_utils.simulate (seed {seed}); bukan nilai resmi"],
        [f"Catatan: Nilai Akhir = bobot dimensi x nilai dimensi ({wtxt}, "
         "Baseline/Output/Outcome/Impact/Quick Win)"],
        ["* Peringkat dalam kelompok evaluasi"],
    ]
    all_rows = sheet_rows + body + [foot_blank] + notes
    pending.append((foot_blank, "Kabupaten/Kota", "", "blank_row"))
    for note in notes:
        pending.append((note, "Kabupaten/Kota", note[0], "footnote_row"))

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in all_rows:
        ws.append(row)
    # Merged header cells as in the published recaps.
    hr = 4
    for c in list(range(1, 6)) + list(range(17, 21)):
        ws.merge_cells(start_row=hr, start_column=c, end_row=hr + 1, end_column=c)
    ws.merge_cells(start_row=hr, start_column=6, end_row=hr, end_column=11)
    ws.merge_cells(start_row=hr, start_column=12, end_row=hr, end_column=16)
    ws["A1"].font = Font(bold=True)
    for row in ws.iter_rows(min_row=hr, max_row=hr + 1):
        for cell in row:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.column_dimensions["B"].width = 34
    ws.column_dimensions["C"].width = 22
    path = out_dir / fname
    save_workbook(wb, path)

    index_of = {id(r): i + 1 for i, r in enumerate(all_rows)}
    for row, column, value, kind in pending:
        faults.add(fname, sheet, index_of[id(row)], column, value, kind)
    return path
