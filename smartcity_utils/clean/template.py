"""An Excel template for assessors, in the assessor-sheet layout the cleaner reads."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from smartcity_utils import reference as ref
from smartcity_utils.errors import UserError
from smartcity_utils.tables import atomic_path

#: The instructions sheet, each line in Indonesian then English.
INSTRUCTIONS = [
    "Petunjuk pengisian / How to fill in",
    "1. Satu lembar per asesor: salin lembar 'Asesor 1' untuk setiap asesor; lembar yang tidak dipakai "
    "boleh dibiarkan kosong.",
    "   One sheet per assessor: copy the sheet 'Asesor 1' for each assessor; unused sheets may stay empty.",
    "2. Isi label: Kabupaten/Kota (nama lengkap, mis. 'Kota Balikpapan'), Tahun, Tahap (Tahap I atau Tahap II), "
    "Asesor (nama dan instansi).",
    "   Fill in the labels: Kabupaten/Kota (full name, e.g. 'Kota Balikpapan'), Tahun (year), Tahap "
    "(stage: Tahap I or Tahap II), Asesor (name and institution).",
    "3. Beri satu nilai per baris pada skala 0 sampai 4 (koma atau titik desimal: 3,25 atau 3.25).",
    "   Give one score per row on the 0 to 4 scale (decimal comma or point: 3,25 or 3.25).",
    "4. Kosongkan nilai, atau tulis 'belum dinilai', bila belum dinilai.",
    "   Leave a score empty, or write 'belum dinilai', when it was not assessed.",
    "5. Simulasi: 'tidak' untuk nilai sungguhan, 'ya' untuk data uji atau rekaan.",
    "   Simulasi: 'tidak' for real scores, 'ya' for made-up or test data.",
    "6. Simpan berkas ke data/raw/ lalu jalankan: smartcity clean (folder lain: smartcity clean --raw FOLDER)",
    "   Save the workbook into data/raw/ and run: smartcity clean (another folder: smartcity clean --raw FOLDER)",
    "7. Koreksi atas berkas yang sudah diserahkan: simpan sebagai berkas baru dengan kata 'revisi' pada namanya.",
    "   A correction of a file already handed in: save it as a new file with 'revisi' in its name.",
    "",
    "Nama pilar yang diterima (semua ejaan ini diterima) / Allowed pillar names (any of these spellings):",
]


#: The most assessor sheets a template holds: a panel has 3 to 4 assessors (docs/sources.md: Kukar 2023,
#: the 2022 Kota Kediri panel); 50 leaves room for several panels in one workbook and keeps the file
#: small (each sheet costs about 0.1 s and 60 KB to write).
MAX_ASSESSOR_SHEETS = 50


def write_template(path: Path, n_assessors: int = 1, overwrite: bool = False) -> Path:
    """Write an empty assessor workbook with the allowed pillar and dimension names.

    Args:
        path: Target ``.xlsx`` file; its folder is created.
        n_assessors: Number of assessor sheets to prepare, 1 to :data:`MAX_ASSESSOR_SHEETS`.
        overwrite: Replace an existing file (``smartcity template --force``); without it an
            existing file, which may hold scores already typed in, is never replaced.

    Returns:
        The path written (atomically: a failed write leaves no partial file).

    Raises:
        UserError: a name not ending in .xlsx, a number of sheets out of range, an existing
            file without ``overwrite``, or a folder that cannot be written.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise UserError(f"{path}: the template is an Excel workbook; give a name ending in .xlsx")
    if n_assessors < 1:
        raise UserError(f"--assessors {n_assessors}: a template needs at least one assessor sheet; give 1 or more")
    if n_assessors > MAX_ASSESSOR_SHEETS:
        raise UserError(f"--assessors {n_assessors}: a template holds at most {MAX_ASSESSOR_SHEETS} assessor sheets "
                        "(a panel has 3 to 4 assessors); write several templates for more")
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise UserError(f"{path}: already exists and may hold scores typed in; give another --out, or add "
                        "--force to replace it")
    if path.exists() and not path.is_file():
        raise UserError(f"{path}: is not a file; give the name of an .xlsx file to write")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    pillar_names = list(ref.pillars()["pillar"])
    dimension_names = list(ref.dimensions()["dimension"])
    for k in range(1, n_assessors + 1):
        ws = wb.create_sheet(f"Asesor {k}")
        ws.append(["LEMBAR PENILAIAN ASESOR - EVALUASI SMART CITY"])
        ws["A1"].font = Font(bold=True)
        for label in ("Kabupaten/Kota:", "Tahun:", "Tahap:", "Asesor:"):
            ws.append([label, None])
        ws.append([])
        ws.append(["No", "Pilar", "Dimensi", "Nilai", "Keterangan", "Simulasi"])
        for cell in ws[7]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        no = 1
        for name in pillar_names:
            ws.append([no, name, None, None, None, "tidak"])
            no += 1
        for name in dimension_names:
            ws.append([no, None, name, None, None, "tidak"])
            no += 1
        last = 7 + no - 1
        scores = DataValidation(type="decimal", operator="between", formula1="0", formula2="4", allow_blank=True,
                                error="Nilai dari 0 sampai 4 / A score runs from 0 to 4",
                                showErrorMessage=True)
        ws.add_data_validation(scores)
        scores.add(f"D8:D{last}")
        flags = DataValidation(type="list", formula1='"ya,tidak"', allow_blank=False)
        ws.add_data_validation(flags)
        flags.add(f"F8:F{last}")
        for col, width in zip("ABCDEF", (16, 22, 14, 8, 40, 10)):
            ws.column_dimensions[col].width = width
    add_recommendation_sheets(wb)
    info = wb.create_sheet("Petunjuk Pengisian")
    for line in INSTRUCTIONS:
        info.append([line])
    aliases = ref.read_reference("pillar_aliases.csv")
    for name in pillar_names:
        key = ref.pillars().set_index("pillar").at[name, "pillar_key"]
        variants = ", ".join(aliases.loc[aliases["pillar_key"] == key, "alias"])
        info.append([name, variants])
    info.append([])
    info.append(["Dimensi evaluasi yang diterima / Allowed evaluation dimensions:"])
    for name in dimension_names:
        info.append([name])
    try:
        with atomic_path(path, suffix=".xlsx") as tmp:
            wb.save(tmp)
    except OSError as exc:
        raise UserError(f"{path}: cannot be written ({exc.strerror or exc}); choose a folder you can write to") \
            from exc
    return path


#: Header of the template's recommendations sheet (layout ``recommendations``, docs/data_model.md).
RECOMMENDATION_HEADER = ["Kabupaten/Kota", "Tahun", "Tahap", "Asesor", "Pilar", "Rekomendasi", "Status Tindak Lanjut",
                         "Tanggal Tindak Lanjut", "Tahun Tindak Lanjut", "Bukti Tindak Lanjut", "Simulasi"]

#: Header of the template's agencies sheet (layout ``agencies``).
AGENCY_HEADER = ["Kabupaten/Kota", "Tahun", "Pilar", "Jumlah OPD", "Simulasi"]

#: Rows of the recommendations and agencies sheets that offer the lists of pillars and statuses: a session
#: gives some ten to twenty recommendations (the Kukar 2023 session: nine in the register, one per pillar in the
#: remarks),
#: so 200 rows hold several sessions and their follow-up.
TEMPLATE_ROWS = 200

#: The instructions of the recommendations and agencies sheets, each line in Indonesian then English.
RECOMMENDATION_INSTRUCTIONS = [
    "Petunjuk lembar Rekomendasi dan Jumlah OPD / How to fill in the sheets Rekomendasi and Jumlah OPD",
    "1. Rekomendasi: satu baris per rekomendasi panel. Tahun = tahun rekomendasi diberikan; Tahap dan Asesor "
    "boleh kosong.",
    "   Rekomendasi: one row per recommendation of the panel. Tahun = the year the recommendation was given; "
    "Tahap (stage) and Asesor (assessor) may stay empty.",
    "2. Pilar: nama pilar, 'Semua Pilar' untuk rekomendasi bagi semua pilar, atau 'Masterplan'.",
    "   Pilar: a pillar name, 'Semua Pilar' for a recommendation to every pillar, or 'Masterplan'.",
    "3. Tulis rekomendasi seperti diberikan panel; teks disimpan apa adanya.",
    "   Write the recommendation as the panel gave it; the text is kept as written.",
    "4. Tindak lanjut: Status Tindak Lanjut 'belum', 'proses' atau 'selesai' (juga 'sudah', 'dalam proses', "
    "'belum dilaksanakan'), Tanggal Tindak Lanjut, Bukti Tindak Lanjut (tautan atau nama dokumen).",
    "   Follow-up: Status Tindak Lanjut 'belum' (not started), 'proses' (in progress) or 'selesai' (done), "
    "the date, and the evidence (a link or a document's name).",
    "5. Tahun Tindak Lanjut = tahun status diperiksa; kosong: tahun dari tanggal, atau tahun sesudah Tahun.",
    "   Tahun Tindak Lanjut = the year the status was checked; empty: the year of the date, else the year after "
    "Tahun.",
    "6. Tindak lanjut tahun berikutnya: salin baris rekomendasi (Kabupaten/Kota, Tahun, Pilar dan teks yang sama) "
    "lalu isi statusnya.",
    "   The next year's follow-up: copy the recommendation's row (same Kabupaten/Kota, Tahun, Pilar and text) and "
    "fill in its status.",
    "7. Keterangan pada lembar asesor juga disimpan sebagai rekomendasi untuk pilar baris itu.",
    "   The Keterangan (remarks) of an assessor sheet are kept as recommendations for that row's pillar too.",
    "8. Jumlah OPD: satu baris per pilar, jumlah OPD yang terlibat (bilangan bulat, mis. 10).",
    "   Jumlah OPD: one row per pillar, the number of agencies (OPD) taking part (a whole number, e.g. 10).",
]


def add_recommendation_sheets(wb: openpyxl.Workbook) -> None:
    """Add the sheets ``Rekomendasi`` and ``Jumlah OPD``, with their instructions (``Petunjuk Rekomendasi``).

    Both sheets hold a title and a header only, so an unused one is skipped
    by the cleaner (a header without rows); the pillar, status and flag
    cells offer their lists without refusing other spellings.
    """
    pillars = list(ref.pillars()["pillar"])
    for name, header, lists in (
            ("Rekomendasi", RECOMMENDATION_HEADER,
             {"E": pillars + ["Semua Pilar", "Masterplan"], "G": list(ref.RECOMMENDATION_STATUSES),
              "K": ["ya", "tidak"]}),
            ("Jumlah OPD", AGENCY_HEADER, {"C": pillars, "E": ["ya", "tidak"]})):
        ws = wb.create_sheet(name)
        ws.append([f"{name.upper()} - EVALUASI SMART CITY"])
        ws["A1"].font = Font(bold=True)
        ws.append(header)
        for cell in ws[2]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        for column, values in lists.items():
            choice = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                                    showErrorMessage=False)
            ws.add_data_validation(choice)
            choice.add(f"{column}3:{column}{TEMPLATE_ROWS + 2}")
        for k, title in enumerate(header):
            width = 60 if title == "Rekomendasi" else max(12, len(title) + 2)
            ws.column_dimensions[openpyxl.utils.get_column_letter(k + 1)].width = width
    counts = wb["Jumlah OPD"]
    whole = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                           error="Jumlah OPD: bilangan bulat / a whole number", showErrorMessage=True)
    counts.add_data_validation(whole)
    whole.add(f"D3:D{TEMPLATE_ROWS + 2}")
    info = wb.create_sheet("Petunjuk Rekomendasi")
    for line in RECOMMENDATION_INSTRUCTIONS:
        info.append([line])
