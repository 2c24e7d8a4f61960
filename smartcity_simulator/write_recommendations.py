"""The simulated recommendations register and its follow-up (layout ``recommendations``), and agencies per
pillar; Kutai Kartanegara 2023 with its real session texts."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np

from smartcity_simulator.files import SIM_LABEL, Faults, save_workbook

#: Recommendations a panel gives in the register, per pillar, for all pillars ("Semua Pilar") and for the
#: masterplan: plausible texts in the words of the Kukar 2023 session, drawn for each simulated regency-year.
_REGISTER_TEXTS = {
    "smart_governance": ("Fokus pada SPBE dan integrasi Satu Data", "Integrasikan aplikasi layanan antar OPD",
                         "Percepat Mal Pelayanan Publik Digital"),
    "smart_branding": ("Perkuat promosi destinasi wisata unggulan", "Susun kalender event daerah yang terdokumentasi"),
    "smart_economy": ("Uraikan pemanfaatan sektor unggulan daerah", "Perluas digitalisasi UMKM"),
    "smart_living": ("Dokumentasikan jaringan intranet pemerintah daerah",
                     "Integrasikan layanan kesehatan dan pendidikan"),
    "smart_society": ("Ukur dampak program bagi warga", "Tingkatkan literasi digital warga"),
    "smart_environment": ("Kampanye pengurangan sampah rumah tangga", "Perlu sistem peringatan dini bencana"),
    "Semua Pilar": ("Dokumentasikan partisipasi masyarakat", "Pendanaan program dari APBD dan CSR (TJSP)",
                    "Lengkapi data dasar setiap pilar"),
    "Masterplan": ("Aktifkan Forum Smart City", "Perkuat kolaborasi antar OPD dan pemangku kepentingan",
                   "Perbarui masterplan dengan inovasi yang terukur"),
}


#: The real recommendations of Kutai Kartanegara's 2023 stage-I session (13 June 2023, docs/sources.md), by
#: assessor; their follow-up in the register is simulated.
REAL_RECOMMENDATIONS = {
    ("Kabupaten Kutai Kartanegara", 2023): [
        ("BRIN", "smart_governance", "Fokus pada SPBE dan Satu Data, dengan integrasi aplikasi"),
        ("BRIN", "smart_branding", "Fokus pada Mal Pelayanan Publik (MPP) Digital"),
        ("BRIN", "Semua Pilar", "Dokumentasikan partisipasi masyarakat"),
        ("WANTIKNAS", "Semua Pilar",
         "Pendanaan program dari CSR (TJSP) selain APBD; dokumentasikan dana CSR untuk transparansi"),
        ("WANTIKNAS", "Masterplan",
         "Inovasi yang terukur dan berdampak bagi warga, kolaborasi antar OPD dan pemangku kepentingan, Forum "
         "Smart City yang berjalan (dinilai belum efektif, perlu tindak lanjut)"),
        ("WANTIKNAS", "smart_environment", "Kampanye kesadaran lingkungan untuk mengatasi masalah sampah"),
        ("UKSW", "smart_society", "Ukur dampak program sektor unggulan"),
        ("UKSW", "smart_living", "Uraikan dan dokumentasikan jaringan intranet"),
        ("UKSW", "smart_economy",
         "Dukungan ekonomi terbesar adalah pertambangan, namun pemanfaatannya belum diuraikan"),
    ]
}


#: Agencies (OPD) per pillar of Kutai Kartanegara in 2023 (docs/sources.md); the other counts are simulated.
REAL_AGENCIES = {("Kabupaten Kutai Kartanegara", 2023): {
    "smart_governance": 10, "smart_branding": 3, "smart_economy": 8, "smart_living": 10, "smart_society": 7,
    "smart_environment": 4}}


#: Years whose panels give recommendations in the register (the years of the assessor workbooks).
REGISTER_YEARS = (2022, 2023)


#: Shares of the follow-up statuses one year later, drawn independently of every score (so an analysis of
#: completed recommendations against the index change should find no association on the example), and the
#: share of recommendations whose follow-up the register records.
FOLLOWUP_SHARES = {"selesai": 0.45, "proses": 0.35, "belum": 0.20}


FOLLOWUP_RECORDED = 0.85


#: Spellings of the statuses as regencies write them (all in ``recommendation_statuses.csv``).
_STATUS_SPELLINGS = {"selesai": ("selesai", "sudah", "Selesai"), "proses": ("proses", "dalam proses", "Proses"),
                     "belum": ("belum", "belum dilaksanakan", "Belum")}


def write_recommendations(out_dir, rys, ref, gaz, seed, faults: Faults, national):
    """The recommendations register: the panels' recommendations of 2022 and 2023, their follow-up one year
    later (a row repeating the recommendation, with status, date and evidence), and agencies per pillar.

    Kutai Kartanegara 2023 carries the real recommendations and agency counts of its session (docs/sources.md); every
    status is simulated (:data:`FOLLOWUP_SHARES`), and every row says ``Simulasi = ya``.
    """
    from openpyxl import Workbook

    rng = np.random.default_rng([seed, 50])
    prov = dict(zip(gaz.regency, gaz.province))
    fname = "rekomendasi/register_rekomendasi.xlsx"
    header = ["Kabupaten/Kota", "Tahun", "Tahap", "Asesor", "Pilar", "Rekomendasi", "Status Tindak Lanjut",
              "Tanggal Tindak Lanjut", "Bukti Tindak Lanjut", "Simulasi"]
    given: list[list[Any]] = []
    followed: list[list[Any]] = []
    agencies: list[list[Any]] = [["Kabupaten/Kota", "Tahun", "Pilar", "Jumlah OPD", "Simulasi"]]
    targets = sorted((ry for ry in rys.values() if ry.year in REGISTER_YEARS
                      and (national or prov[ry.regency].startswith("Kalimantan"))),
                     key=lambda r: (r.year, r.regency))
    scopes = list(_REGISTER_TEXTS)
    statuses = list(FOLLOWUP_SHARES)
    shares = np.array([FOLLOWUP_SHARES[k] for k in statuses])
    unknown_done = variant_done = False
    pending: list[tuple[list[Any], str, str]] = []
    for ry in targets:
        real = REAL_RECOMMENDATIONS.get((ry.regency, ry.year))
        if real:
            panel = {a.split("(")[-1].rstrip(")"): a for a in ry.panel}
            recs = [(panel.get(inst, ry.panel[k % len(ry.panel)]), scope, text)
                    for k, (inst, scope, text) in enumerate(real)]
        else:
            n = int(rng.integers(4, 8))
            picked = rng.choice(len(scopes), size=n, replace=False)
            recs = []
            for j in sorted(int(x) for x in picked):
                texts = _REGISTER_TEXTS[scopes[j]]
                recs.append((ry.panel[int(rng.integers(0, len(ry.panel)))], scopes[j],
                             texts[int(rng.integers(0, len(texts)))]))
        for assessor, scope, text in recs:
            pillar = ref.pillar_names.get(scope, scope)
            given.append([ry.regency, ry.year, "Tahap I", assessor, pillar, text, None, None, None, "ya"])
            if rng.random() >= FOLLOWUP_RECORDED:
                continue
            status = statuses[int(rng.choice(len(statuses), p=shares))]
            spelling = _STATUS_SPELLINGS[status][int(rng.integers(0, 3))]
            when = _dt.datetime(ry.year + 1, 6, 1) + _dt.timedelta(days=int(rng.integers(0, 30)))
            evidence = f"Laporan tindak lanjut {ry.year + 1}" if status != "belum" and rng.random() < 0.5 else None
            row = [ry.regency, ry.year, "Tahap I", None, pillar, text, spelling, when, evidence, "ya"]
            followed.append(row)
            if spelling != status and not variant_done:
                pending.append((row, spelling, "status_variant"))
                variant_done = True
            elif not unknown_done and ry.year == 2022 and not real:
                row[6] = "ditunda"  # postponed: no status of the vocabulary, a reject naming the accepted ones
                pending.append((row, "ditunda", "unknown_status"))
                unknown_done = True
        counts = REAL_AGENCIES.get((ry.regency, ry.year))
        for key in ref.pillars:
            n_agencies = counts[key] if counts else int(rng.integers(2, 13))
            agencies.append([ry.regency, ry.year, ref.pillar_names[key], n_agencies, "ya"])
    rows: list[list[Any]] = [[SIM_LABEL], header] + given + followed
    index_of = {id(r): i + 1 for i, r in enumerate(rows)}
    for row, value, kind in pending:
        faults.add(fname, "Rekomendasi", index_of[id(row)], "Status Tindak Lanjut", value, kind)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Rekomendasi")
    for row in rows:
        ws.append(row)
    ws2 = wb.create_sheet("Jumlah OPD")
    ws2.append([SIM_LABEL])
    for row in agencies:
        ws2.append(row)
    path = out_dir / fname
    save_workbook(wb, path)
    return path
