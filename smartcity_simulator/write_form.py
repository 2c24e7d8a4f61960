"""The simulated online-form export of 2024 (layout ``form``), with resubmissions."""

from __future__ import annotations

import datetime as _dt

import numpy as np

from smartcity_simulator.files import Faults, csv_bytes, decimal_comma
from smartcity_simulator.model import FORM_YEAR
from smartcity_simulator.write_assessor import DIMENSION_REMARKS, PILLAR_REMARKS
from smartcity_utils.tables import atomic_write


def write_form(out_dir, rys, ref, gaz, params, seed, faults: Faults, clipped):
    rng = np.random.default_rng([seed, 30])
    prov = dict(zip(gaz.regency, gaz.province))
    fname = f"formulir/ekspor_formulir_{FORM_YEAR}.csv"
    header = ["Waktu Pengisian", "Kabupaten/Kota", "Provinsi", "Tahun", "Tahap", "Asesor",
              "Kode Pertanyaan", "Pilar", "Dimensi", "Nilai", "Keterangan", "Simulasi"]
    codes = [f"P{i + 1}" for i in range(len(ref.pillars))] + \
        [f"D{i + 1}" for i in range(len(ref.dims))]
    start = _dt.datetime(FORM_YEAR, 7, 1, 8, 0, 0)
    records = []
    entries = sorted((ry for ry in rys.values() if ry.year == FORM_YEAR),
                     key=lambda r: r.regency)
    ppu_done = False
    for ry in entries:
        for a_i, assessor in enumerate(ry.panel):
            when = start + _dt.timedelta(seconds=int(rng.integers(0, 90 * 86400)))
            name = ry.regency
            variant = []
            if not ppu_done and ry.regency == "Kabupaten Penajam Paser Utara":
                # One assessor typed the short name on every answer.
                name, variant, ppu_done = "PPU", ["regency_variant"], True
            for i, key in enumerate(ref.pillars + ref.dims):
                is_p = i < len(ref.pillars)
                label = ref.pillar_names[key] if is_p else ref.dim_names[key]
                value = int(ry.scores[a_i, i])
                remarks = PILLAR_REMARKS.get(key) or DIMENSION_REMARKS.get(key)
                remark = remarks[int(rng.integers(0, len(remarks)))] if rng.random() < 0.3 else ""
                rec = {"when": when, "name": name, "prov": prov[ry.regency], "assessor": assessor,
                       "code": codes[i], "pilar": label if is_p else "",
                       "dim": "" if is_p else label, "value": value, "remark": remark,
                       "fault": list(variant), "ry": ry, "col": i, "a": a_i}
                if rng.random() < params["resubmission_share"] and not ry.fixed:
                    # The first answer is superseded by a later, different one.
                    first = dict(rec)
                    first["value"] = int(np.clip(value + rng.choice([-1, 1])
                                                 * int(rng.integers(5, 40)), 0, 400))
                    if first["value"] == value:
                        first["value"] = value + (1 if value < 400 else -1)
                    first["fault"] = first["fault"] + ["superseded"]
                    rec["when"] = when + _dt.timedelta(hours=int(rng.integers(1, 72)))
                    records.append(first)
                records.append(rec)
    records.sort(key=lambda r: (r["when"], r["name"], r["assessor"], r["code"]))
    rows = [header]
    for line, r in enumerate(records, start=2):
        rows.append([r["when"].strftime("%Y-%m-%d %H:%M:%S"), r["name"], r["prov"], FORM_YEAR,
                     "Tahap I", r["assessor"], r["code"], r["pilar"], r["dim"],
                     decimal_comma(r["value"] / 100), r["remark"], "ya"])
        if "regency_variant" in r["fault"]:
            faults.add(fname, "", line, "Kabupaten/Kota", r["name"], "regency_variant")
        if "superseded" in r["fault"]:
            faults.add(fname, "", line, "Nilai", decimal_comma(r["value"] / 100), "superseded")
    path = out_dir / fname
    atomic_write(path, csv_bytes(rows, delimiter=";", bom=True))
    return path
