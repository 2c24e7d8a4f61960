"""Seeded, deterministic simulator of the raw evaluation data.

The only real scores the workspace knows are the published facts
(``published_facts.csv``). Everything else shipped under ``data/example/`` is
simulated by this module so that the cleaning and analysis code can be
developed and tested on files with the real layouts (``docs/data_model.md``),
the real vocabulary and realistic faults, while the true parameters are known.

Generating model
----------------
Membership: the cohorts (*angkatan*) and their sizes come from
``cohort_sizes.csv`` (270 members in total, drawn from the 514 regencies and
cities of the ``areaid`` gazetteer, Kalimantan weighted up). Known cohorts
(``cohorts_known.csv``) are kept; every regency with a published index is put
in a cohort that started before its first published year. With
``national=True`` all 514 regencies are members, spread over the same cohorts
in proportion to their sizes.

Evaluation: a member is evaluated in year ``t`` (2019 to 2024) when its cohort
year is before ``t``. Where a published rank gives the size of the group
(``rank_of``), that group is a seeded sample of that size which contains every
regency with a published figure that year and the focus regencies
(2022: cohort 2021 sampled to 37; 2023: 130 regencies in one group). 2022 is
ranked per cohort (``Angkatan 2017`` ...), the other years nationally.

Latent scores, for regency ``r``, year ``t`` and pillar ``k``::

    m_r ~ N(0, sd_m)                                   (maturity)
    p_rtk = mu + m_r + g * (t - cohort_r) + a_k + e_rtk,  e ~ N(0, sd_e)
    index_rt = c + sum_k beta_k * p_rtk + u_rt,            u ~ N(0, sd_u)
    d_rtj = index_rt + delta_tj + v_rtj,                   v ~ N(0, sd_v)

with ``sum_j w_tj * delta_tj = 0`` and ``sum_j w_tj * v_rtj = 0`` (weights
``w`` from ``dimension_weights.csv``), so the weighted mean of the dimensions
is the index. ``beta_k`` are the driver weights the analysis should recover
(``smart_governance`` strongest, ``smart_environment`` near zero).

Assessors: each regency-year gets a panel of 3 to 4 assessors (4 in national
mode) from a pool; assessor ``a`` has leniency ``l_a ~ N(0, sd_l)`` (shared by
every regency it scores) and, for each regency-year ``rt`` it scores, a halo
``h_art ~ N(0, sd_h)`` shared by all of its scores for that regency-year
(pillars and dimensions alike, hence also by its headline), and scores::

    s_artx = true_rtx + l_a + h_art + N(0, sd_a)

rounded to 2 decimals. Leniency and halo make one assessor's errors correlate
across pillars and with the headline, as in real panels where the same
assessors score both.

Departures for stress tests (:data:`SCENARIO_DEFAULTS`, :data:`STRESS_SCENARIOS`):
``simulate_panels(scenario=...)`` can give each assessor a leniency that
differs by item, let assessors move towards their panel's mean
(moderation), make the error size depend on the regency's level or on the
year, change the panel sizes by year, and make the headline non-linear in
the pillars or give it an interaction of two pillars. The defaults leave the
model exactly as above, and ``simulate_raw`` never departs from it, so the
bundled files stay as they are. A recap value is the panel
mean rounded half up to 2 decimals; the reported final score (*Nilai Akhir*)
is ``sum_j w_tj * d_rtj`` of the rounded dimension scores, rounded half up.
All values are clipped to [0, 4]; the counts of clipped values are written to
the truth JSON.

Published facts: where ``published_facts.csv`` has a figure for a simulated
regency-year, the recap carries it exactly. The regency's dimension (and
pillar) scores are shifted so that their weighted sum is within 0.006 of the
published index (residual on ``outcome``), published pillar and dimension
scores are written as published, and where a rank is published other members
of the group are shifted as whole rows above or below the regency. Assessor
scores of every shifted regency-year are shifted by the same amounts, so the
recap stays the panel mean. The shifts are listed per regency-year in the
truth CSV (``shift_cents``, ``adjustment``).

Outputs (under ``out_dir``), all marked ``Simulasi = ya``:
``rekap/rekap_evaluasi_{2019..2023}.xlsx``,
``asesor/{year}/penilaian_{slug}_{year}.xlsx``,
``formulir/ekspor_formulir_2024.csv``, ``quick_win/register_quick_win.xlsx``,
``angkatan/register_angkatan.csv``, ``kelompok/register_kelompok.csv``,
``rekomendasi/register_rekomendasi.xlsx`` (the panels' recommendations of 2022 and 2023, their follow-up
one year later, agencies per pillar; statuses drawn independently of the scores), plus, in ``truth/`` beside the raw folder, ``simulation_truth.json``,
``simulation_truth_regency_year.csv`` and ``simulation_faults.csv`` (the
deliberate faults, one row per cell or row). A copy of the real
``published_facts.csv`` is placed next to them when ``out_dir`` lacks one.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from smartcity_utils import paths, reference, regencies
from smartcity_utils.tables import atomic_write

SIM_LABEL = "DATA SIMULASI - bukan nilai resmi"
YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
RECAP_YEARS = (2019, 2020, 2021, 2022, 2023)
FORM_YEAR = 2024
QUICK_WIN_YEARS = (2022, 2023, 2024)
#: Recaps of this year are published on the 0 to 100 scale.
SCALE_100_YEARS = (2019,)
#: Years ranked within each cohort rather than nationally (brief: 2022 groups
#: "Angkatan 2017" ... "Angkatan 2021").
COHORT_GROUPED_YEARS = (2022,)
#: Dimension that absorbs the rounding residual when a published index is set.
RESIDUAL_DIMENSION = "outcome"
FOCUS_REGENCIES = (
    "Kabupaten Kutai Kartanegara",
    "Kabupaten Paser",
    "Kabupaten Kotawaringin Timur",
)
#: Members added for the alias faults (PPU): an IKN-area regency, in the 2021
#: cohort like the other IKN-area regencies.
EXTRA_MEMBERS = {"Kabupaten Penajam Paser Utara": 2021}
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
#: Header spellings per recap year; each must exist in the alias tables.
HEADER_VARIANTS = {
    2019: {"smart_governance": "Smart Government"},
    2020: {"smart_society": "Smart People"},
    2021: {"smart_environment": "Smart Environtment", "quick_wins": "Qiuck Wins"},
    2022: {"smart_economy": "Smart Economym"},
    2023: {"smart_living": "Kualitas Hidup"},
}
INSTITUTIONS = (
    "BRIN", "WANTIKNAS", "UKSW", "Bappenas", "Universitas Pasundan", "KemenPANRB",
)
FIXED_TIME = _dt.datetime(2024, 12, 31, 0, 0, 0)

#: True parameters of the latent model (0 to 4 scale).
DEFAULT_PARAMS: dict[str, Any] = {
    "mu": 2.55,
    "sd_m": 0.30,
    "g": 0.08,
    "a_k": {
        "smart_governance": 0.10,
        "smart_branding": -0.15,
        "smart_economy": 0.05,
        "smart_living": 0.20,
        "smart_society": 0.00,
        "smart_environment": -0.25,
    },
    "beta_k": {
        "smart_governance": 0.35,
        "smart_branding": 0.08,
        "smart_economy": 0.20,
        "smart_living": 0.12,
        "smart_society": 0.15,
        "smart_environment": 0.02,
    },
    "c": 0.30,
    "sd_e": 0.20,
    "sd_u": 0.08,
    "delta_j_raw": {
        "baseline": 0.25,
        "output": -0.05,
        "outcome": -0.10,
        "impact": -0.15,
        "quick_wins": 0.20,
    },
    "sd_v": 0.10,
    "sd_l": 0.10,
    "sd_h": 0.10,
    "sd_a": 0.15,
    "sd_quick_win_programme": 0.25,
    "sd_quick_win_score": 0.15,
    "resubmission_share": 0.03,
    "kalimantan_weight": 3.0,
}

#: Departures from the generating model, for stress tests of the estimators (``simulate_panels(scenario=...)``).
#: Every default leaves the model of the module docstring unchanged and draws no random number, so the
#: bundled example files stay byte-identical; the values are not written to the truth JSON.
SCENARIO_DEFAULTS: dict[str, Any] = {
    # sd of an assessor's leniency specific to one item (pillar or dimension), added to l_a.
    "sd_l_item": 0.0,
    # Share of the way each assessor moves towards the panel's mean before rounding (0: independent assessors).
    "moderation": 0.0,
    # {year: factor} on every assessor error (leniency, halo, noise) in that year.
    "error_scale_by_year": {},
    # h: an assessor's noise sd is sd_a * exp(h * z), z = m_r / sd_m the regency's standardised maturity.
    "heteroscedastic": 0.0,
    # {year: (smallest, largest)} assessors per panel in that year (default 3 to 4, 4 in national mode).
    "panel_sizes_by_year": {},
    # kappa: index_rt += kappa * (linear part - its centre)^2 (negative: a ceiling).
    "headline_curvature": 0.0,
    # (pillar_a, pillar_b, gamma): index_rt += gamma * (p_a - centre_a) * (p_b - centre_b).
    "interaction": None,
}

#: Years whose assessor-level rows the stress tests keep (as the bundled example: workbooks 2022-2023, form 2024);
#: panel means of the other years are used without their assessors.
ASSESSOR_YEARS = (2022, 2023, 2024)
_OTHER_YEARS = tuple(y for y in YEARS if y not in ASSESSOR_YEARS)

#: Named departures for the stress benchmark: each a plausible way real panels differ from the model.
STRESS_SCENARIOS: dict[str, dict[str, Any]] = {
    "as simulated": {},
    "leniency differs by item": {"sd_l_item": 0.10},
    "panel moderation (halfway to the panel mean)": {"moderation": 0.5},
    "error sd grows with the regency's level": {"heteroscedastic": 0.5},
    "error sd x2 in years without assessor rows": {"error_scale_by_year": {y: 2.0 for y in _OTHER_YEARS}},
    "panels of 2 then of 5": {"panel_sizes_by_year": {**{y: (2, 2) for y in _OTHER_YEARS},
                                                       **{y: (5, 5) for y in ASSESSOR_YEARS}}},
    "non-linear headline (ceiling)": {"headline_curvature": -0.8},
    "interaction of two pillars": {"interaction": ("smart_governance", "smart_economy", 0.4)},
}


def _scenario(scenario: dict[str, Any] | None) -> dict[str, Any]:
    """The full set of departures: :data:`SCENARIO_DEFAULTS` updated with ``scenario`` (unknown keys refused)."""
    unknown = sorted(set(scenario or {}) - set(SCENARIO_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown scenario keys {unknown}; known: {sorted(SCENARIO_DEFAULTS)}")
    return {**SCENARIO_DEFAULTS, **(scenario or {})}


_PILLAR_REMARKS = {
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
_DIMENSION_REMARKS = {
    "baseline": ("Data dasar cukup lengkap", "Lengkapi data dasar per pilar"),
    "output": ("Sebagian keluaran belum tercapai", "Keluaran sesuai rencana"),
    "outcome": ("Ukur capaian hasil secara berkala", "Hasil belum terukur"),
    "impact": ("Dampak bagi warga belum terukur", "Lakukan survei kepuasan warga"),
    "quick_wins": ("Keberlanjutan Quick Win perlu anggaran",
                   "Quick Win berjalan baik"),
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


#: Recommendations a panel gives in the register, per pillar, for all pillars ("Semua Pilar") and for the
#: masterplan: plausible texts in the words of seed 000, drawn for each simulated regency-year.
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
#: The real recommendations of Kutai Kartanegara's 2023 stage-I session (seed 000, 13 June 2023), by
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
#: Agencies (OPD) per pillar of Kutai Kartanegara in 2023 (seed 000); the other counts are simulated.
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


# --------------------------------------------------------------------------
# Result


@dataclass
class SimulationResult:
    """What :func:`simulate_raw` wrote and the truth behind it.

    Attributes:
        out_dir: Folder the raw files were written to.
        truth_dir: Folder of the truth tables (never inside ``out_dir``).
        seed: Seed of the run.
        national: Whether all 514 regencies were simulated.
        files: Paths written, keyed by kind (``recap``, ``assessor``,
            ``form``, ``quick_wins``, ``cohorts``, ``published``, ``truth``).
        truth: Content of ``simulation_truth.json``.
        truth_regency_year: Content of ``simulation_truth_regency_year.csv``.
        faults: Content of ``simulation_faults.csv``.
    """

    out_dir: Path
    truth_dir: Path
    seed: int
    national: bool
    files: dict[str, list[Path]] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)
    truth_regency_year: pd.DataFrame = field(default_factory=pd.DataFrame)
    faults: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def paths(self) -> list[Path]:
        """All paths written, sorted."""
        return sorted(p for group in self.files.values() for p in group)


# --------------------------------------------------------------------------
# Reference data


@dataclass
class _Ref:
    pillars: list[str]
    pillar_names: dict[str, str]
    dims: list[str]
    dim_names: dict[str, str]
    weights: dict[int, dict[str, Fraction]]
    cohort_sizes: dict[int, int]
    cohorts_known: dict[str, tuple[int, str]]


def _load_reference() -> _Ref:
    """The vocabularies and framework tables, through :mod:`smartcity_utils.reference`."""
    pil, dim = reference.pillars(), reference.dimensions()
    weights: dict[int, dict[str, Fraction]] = {}
    for year, grp in reference.dimension_weights().groupby("year"):
        # Fractions keep the weighted sums exact, so half-up rounding of the
        # final score does not depend on binary floating point.
        ws = {r.dimension_key: Fraction(str(r.weight)) for r in grp.itertuples()}
        total = sum(ws.values())
        weights[int(year)] = {k: v / total for k, v in ws.items()}
    cs = reference.cohort_sizes()
    ck = reference.known_cohorts()
    return _Ref(
        pillars=list(pil.pillar_key),
        pillar_names=dict(zip(pil.pillar_key, pil.pillar)),
        dims=list(dim.dimension_key),
        dim_names=dict(zip(dim.dimension_key, dim.dimension)),
        weights=weights,
        cohort_sizes={int(r.cohort_year): int(r.n_regencies) for r in cs.itertuples()},
        cohorts_known={r.regency: (int(r.cohort_year), str(r.source)) for r in ck.itertuples()},
    )


def _load_gazetteer() -> pd.DataFrame:
    """The 514 regencies and cities of ``areaid``, sorted by id."""
    return regencies.gazetteer()[["regency_id", "regency", "province", "kind"]].copy()


def _default_published_path() -> Path:
    candidates = [paths.EXAMPLE_RAW_DIR / "published_facts.csv"]
    for cand in candidates:
        if cand.exists():
            return cand
    raise FileNotFoundError(
        "published_facts.csv not found in " + ", ".join(str(c) for c in candidates)
        + "; pass published_path")


# --------------------------------------------------------------------------
# Small helpers


def _rhu_mean(total: int, n: int) -> int:
    """Mean of integer cents rounded half up, in exact integer arithmetic."""
    return (2 * total + n) // (2 * n)


def _final_cents(dims_cents: np.ndarray, weights: dict[str, Fraction], dims: list[str]) -> int:
    total = sum(weights[j] * int(c) for j, c in zip(dims, dims_cents))
    return int((total + Fraction(1, 2)) // 1)


def _weighted(dims_cents: np.ndarray, weights: dict[str, Fraction], dims: list[str]) -> Fraction:
    return sum(weights[j] * int(c) for j, c in zip(dims, dims_cents))


def _fmt(cents: int, scale: float = 1.0) -> float:
    return round(cents * scale / 100.0, 2)


def _comma(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _short(name: str) -> str:
    return re.sub(r"^(Kabupaten|Kota)\s+", "", name).split(" (")[0]



def _csv_bytes(rows: list[list[Any]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerows(rows)
    text = buf.getvalue()
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def _save_workbook(wb: Any, path: Path) -> None:
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


# --------------------------------------------------------------------------
# Model state


@dataclass
class _RY:
    regency: str
    year: int
    cohort: int
    group: str = "Nasional"
    true_p: np.ndarray | None = None
    true_index: float = 0.0
    u: float = 0.0
    true_d: np.ndarray | None = None
    panel: list[str] = field(default_factory=list)
    scores: np.ndarray | None = None  # (n_assessors, 11) cents
    recap: np.ndarray | None = None  # (11,) cents: 6 pillars then 5 dimensions
    final: int = 0
    rank: int | None = None
    rank_of: int | None = None
    shift: int = 0
    adjustment: str = ""
    fixed: bool = False
    published: list[str] = field(default_factory=list)


def _choose_members(gaz: pd.DataFrame, ref: _Ref, pub: pd.DataFrame,
                    rng: np.random.Generator, national: bool,
                    kal_weight: float) -> dict[str, int]:
    names = list(gaz.regency)
    known_names = set(names)
    cohorts = sorted(ref.cohort_sizes)
    sizes = dict(ref.cohort_sizes)
    if national:
        # Spread all regencies over the cohorts in proportion to their sizes.
        total = sum(sizes.values())
        raw = {c: sizes[c] * len(names) / total for c in cohorts}
        sizes = {c: int(np.floor(v)) for c, v in raw.items()}
        rest = len(names) - sum(sizes.values())
        for c in sorted(cohorts, key=lambda c: -(raw[c] - sizes[c]))[:rest]:
            sizes[c] += 1
    fixed: dict[str, int] = {}
    for name, (year, _src) in ref.cohorts_known.items():
        if name in known_names:
            fixed[name] = year
    for name, year in EXTRA_MEMBERS.items():
        if name in known_names and name not in fixed:
            fixed[name] = year
    # A regency with a published index must have joined before that year.
    needs_before: dict[str, int] = {}
    for r in pub.itertuples():
        if r.region in known_names:
            needs_before[r.region] = min(needs_before.get(r.region, 9999), int(r.year))
    free = {c: sizes[c] - sum(1 for v in fixed.values() if v == c) for c in cohorts}
    for name in sorted(needs_before):
        if name in fixed:
            if fixed[name] >= needs_before[name]:
                raise ValueError(f"{name}: cohort {fixed[name]} conflicts with published "
                                 f"figure of {needs_before[name]}")
            continue
        options = [c for c in cohorts if c < needs_before[name] and free[c] > 0]
        choice = int(rng.choice(options))
        fixed[name] = choice
        free[choice] -= 1
    others = [n for n in names if n not in fixed]
    n_needed = sum(free.values())
    if national:
        chosen = others
    else:
        w = np.array([kal_weight if p.startswith("Kalimantan") else 1.0
                      for p in gaz.set_index("regency").loc[others, "province"]])
        idx = rng.choice(len(others), size=n_needed, replace=False, p=w / w.sum())
        chosen = [others[i] for i in sorted(idx)]
    order = rng.permutation(len(chosen))
    slots = [c for c in cohorts for _ in range(free[c])]
    members = dict(fixed)
    for slot, i in zip(slots, order):
        members[chosen[i]] = slot
    return members


def _group_label(year: int, cohort: int) -> str:
    return f"Angkatan {cohort}" if year in COHORT_GROUPED_YEARS else "Nasional"


def _choose_evaluations(members: dict[str, int], pub: pd.DataFrame,
                        rng: np.random.Generator) -> dict[int, list[str]]:
    pub_idx = pub[pub.metric == "indeks_smart_city"]
    evaluated: dict[int, list[str]] = {}
    for year in YEARS:
        eligible = sorted(n for n, c in members.items() if c < year)
        must = {r.region for r in pub[pub.year == year].itertuples() if r.region in members}
        must |= {n for n in FOCUS_REGENCIES if n in members and members[n] < year}
        # A published "rank r of N" fixes the size of that regency's group.
        for r in pub_idx[(pub_idx.year == year) & pub_idx.rank_of.notna()].itertuples():
            if r.region not in members:
                continue
            label = _group_label(year, members[r.region])
            in_group = [n for n in eligible if _group_label(year, members[n]) == label]
            size = int(r.rank_of)
            keep = sorted(n for n in in_group if n in must)
            pool = [n for n in in_group if n not in must]
            if len(keep) > size or len(in_group) < size:
                raise ValueError(f"cannot make {label} {year} of size {size}")
            pick = rng.choice(len(pool), size=size - len(keep), replace=False)
            chosen = set(keep) | {pool[i] for i in pick}
            eligible = [n for n in eligible
                        if _group_label(year, members[n]) != label or n in chosen]
        evaluated[year] = eligible
    return evaluated


# --------------------------------------------------------------------------
# Simulation core


def _simulate_scores(members, evaluated, ref, params, seed, national, gaz, clipped, scenario=None):
    pillars, dims = ref.pillars, ref.dims
    sc = _scenario(scenario)
    rng = np.random.default_rng([seed, 2])
    order = gaz[gaz.regency.isin(members)].regency.tolist()
    maturity = {n: float(rng.normal(0, params["sd_m"])) for n in order}
    a = np.array([params["a_k"][k] for k in pillars])
    beta = np.array([params["beta_k"][k] for k in pillars])
    delta_raw = np.array([params["delta_j_raw"][j] for j in dims])
    delta_by_year = {}
    for year in YEARS:
        w = np.array([float(ref.weights[year][j]) for j in dims])
        delta_by_year[year] = delta_raw - float(w @ delta_raw)

    n_pool = 40 if national else 24
    letters = []
    for i in range(n_pool):
        letters.append(chr(65 + i) if i < 26 else chr(65 + i // 26 - 1) + chr(65 + i % 26))
    rng_a = np.random.default_rng([seed, 3])
    pool = [f"Asesor {letters[i]} ({INSTITUTIONS[i % len(INSTITUTIONS)]})" for i in range(n_pool)]
    leniency = {name: float(rng_a.normal(0, params["sd_l"])) for name in pool}
    # The halo has its own stream, so the other draws stay those of earlier versions.
    rng_h = np.random.default_rng([seed, 6])
    # Item-specific leniency (a departure, drawn only when asked) has a stream of its own too.
    n_items = len(pillars) + len(dims)
    leniency_item = ({name: np.random.default_rng([seed, 7, i]).normal(0, sc["sd_l_item"], n_items)
                      for i, name in enumerate(pool)} if sc["sd_l_item"] > 0 else None)
    centre_p = params["mu"] + a
    lin_centre = float(beta @ centre_p)
    if sc["interaction"] is not None:
        ia, ib, gamma = sc["interaction"]
        ia, ib = pillars.index(ia), pillars.index(ib)

    rys: dict[tuple[str, int], _RY] = {}
    for year in YEARS:
        w = np.array([float(ref.weights[year][j]) for j in dims])
        for name in order:
            if name not in evaluated[year]:
                continue
            c = members[name]
            ry = _RY(regency=name, year=year, cohort=c, group=_group_label(year, c))
            e = rng.normal(0, params["sd_e"], len(pillars))
            p = params["mu"] + maturity[name] + params["g"] * (year - c) + a + e
            clipped["latent"] += int(np.sum((p < 0) | (p > 4)))
            p = np.clip(p, 0, 4)
            u = float(rng.normal(0, params["sd_u"]))
            idx = params["c"] + float(beta @ p) + u
            if sc["headline_curvature"]:
                idx += sc["headline_curvature"] * (float(beta @ p) - lin_centre) ** 2
            if sc["interaction"] is not None:
                idx += gamma * (p[ia] - centre_p[ia]) * (p[ib] - centre_p[ib])
            clipped["latent"] += int(idx < 0 or idx > 4)
            idx = float(np.clip(idx, 0, 4))
            v = rng.normal(0, params["sd_v"], len(dims))
            v = v - float(w @ v)
            d = idx + delta_by_year[year] + v
            clipped["latent"] += int(np.sum((d < 0) | (d > 4)))
            d = np.clip(d, 0, 4)
            ry.true_p, ry.true_index, ry.u, ry.true_d = p, idx, u, d
            if year in sc["panel_sizes_by_year"]:
                lo, hi = sc["panel_sizes_by_year"][year]
                n_ass = int(rng_a.integers(lo, hi + 1))
            else:
                n_ass = 4 if national else int(rng_a.integers(3, 5))
            panel_idx = sorted(rng_a.choice(n_pool, size=n_ass, replace=False))
            ry.panel = [pool[i] for i in panel_idx]
            truth = np.concatenate([p, d])
            halo = rng_h.normal(0, params["sd_h"], n_ass)
            shared = (np.array([leniency[x] for x in ry.panel]) + halo)[:, None]
            noise = rng_a.normal(0, params["sd_a"], (n_ass, truth.size))
            if sc == SCENARIO_DEFAULTS:
                raw = truth[None, :] + shared + noise
            else:
                # z: the regency's standardised maturity (mean 0, sd 1 by construction).
                z = maturity[name] / params["sd_m"]
                raw = truth[None, :] + _departed_error(sc, shared, noise, ry, year, z, leniency_item)
            clipped["assessor"] += int(np.sum((raw < 0) | (raw > 4)))
            ry.scores = np.rint(np.clip(raw, 0, 4) * 100).astype(int)
            rys[(name, year)] = ry
    return rys, maturity, leniency, delta_by_year


def _departed_error(sc: dict[str, Any], shared: np.ndarray, noise: np.ndarray, ry: _RY, year: int,
                    z: float, leniency_item: dict[str, np.ndarray] | None) -> np.ndarray:
    """Assessor errors (n_assessors x items) under the departures of ``sc`` (see :data:`SCENARIO_DEFAULTS`).

    ``z`` is the regency's standardised maturity (for the heteroscedastic departure).
    """
    if sc["heteroscedastic"]:
        noise = noise * np.exp(sc["heteroscedastic"] * z)
    err = shared + noise
    if leniency_item is not None:
        err = err + np.array([leniency_item[x] for x in ry.panel])
    err = err * float(sc["error_scale_by_year"].get(year, 1.0))
    if sc["moderation"]:
        err = (1 - sc["moderation"]) * err + sc["moderation"] * err.mean(axis=0, keepdims=True)
    return err


def _panel_recap(ry: _RY) -> np.ndarray:
    n = ry.scores.shape[0]
    return np.array([_rhu_mean(int(t), n) for t in ry.scores.sum(axis=0)])


def _shift_row(ry: _RY, cents: int, ref: _Ref) -> None:
    ry.recap = np.clip(ry.recap + cents, 0, 400)
    ry.final = _final_cents(ry.recap[6:], ref.weights[ry.year], ref.dims)
    ry.shift += cents


def _apply_published(rys, pub, ref, seed):
    """Write published figures into the recaps and place published ranks."""
    rng = np.random.default_rng([seed, 4])
    pillars, dims = ref.pillars, ref.dims
    keyed = {}
    for r in pub.itertuples():
        keyed.setdefault((r.region, int(r.year)), []).append(r)
    applied = []
    for (name, year), facts in sorted(keyed.items()):
        ry = rys.get((name, year))
        if ry is None:
            continue
        ry.fixed = True
        weights = ref.weights[year]
        vals = {f.metric: int(round(float(f.value) * 100)) for f in facts
                if not pd.isna(f.value)}
        final = vals.get("indeks_smart_city")
        given_d = {j for j in dims if j in vals}
        if final is not None and len(given_d) < len(dims):
            # Shift the whole row so the weighted dimensions meet the index.
            shift = int(round(float(final - _weighted(ry.recap[6:], weights, dims))))
            ry.recap = np.clip(ry.recap + shift, 0, 400)
            ry.shift += shift
        for i, k in enumerate(pillars):
            if k in vals:
                ry.recap[i] = vals[k]
        for i, j in enumerate(dims):
            if j in vals:
                ry.recap[6 + i] = vals[j]
        if final is not None:
            free = [j for j in dims if j not in given_d]
            if free:
                j = RESIDUAL_DIMENSION if RESIDUAL_DIMENSION in free else free[0]
                resid = final - _weighted(ry.recap[6:], weights, dims)
                ry.recap[6 + dims.index(j)] += int(round(float(resid / weights[j])))
            gap = abs(float(_weighted(ry.recap[6:], weights, dims)) - final)
            if gap > 0.6:
                raise RuntimeError(f"{name} {year}: dimensions miss the index by {gap} cents")
            ry.final = final
        else:
            ry.final = _final_cents(ry.recap[6:], weights, dims)
        ry.adjustment = "published_value"
        ry.published = sorted(vals)
        applied.append({"regency": name, "year": year,
                        "metrics": sorted(vals)})
    # Ranks: move other members (never a row carrying published figures).
    for r in pub[(pub.metric == "indeks_smart_city") & pub["rank"].notna()].itertuples():
        target = rys.get((r.region, int(r.year)))
        if target is None:
            continue
        k = int(r.rank)
        group = [x for x in rys.values() if x.year == target.year
                 and x.group == target.group and x is not target]
        fixed_above = [x for x in group if x.fixed and x.final > target.final]
        if any(x.fixed and x.final == target.final for x in group):
            raise RuntimeError(f"published tie in {target.group} {target.year}")
        need = k - 1 - len(fixed_above)
        movable = sorted((x for x in group if not x.fixed),
                         key=lambda x: (-x.final, x.regency))
        if need < 0 or need > len(movable):
            raise RuntimeError(f"cannot place {r.region} at rank {k}")
        for x in movable[:need]:
            if x.final <= target.final:
                _shift_row(x, target.final - x.final + int(rng.integers(1, 9)), ref)
                for _ in range(400):
                    if x.final > target.final:
                        break
                    _shift_row(x, 1, ref)
                x.adjustment = "rank_placement"
        for x in movable[need:]:
            if x.final >= target.final:
                _shift_row(x, target.final - x.final - int(rng.integers(1, 9)), ref)
                for _ in range(400):
                    if x.final < target.final:
                        break
                    _shift_row(x, -1, ref)
                x.adjustment = "rank_placement"
    return applied


def _refit_panel(ry: _RY, clipped: dict[str, int]) -> None:
    """Shift assessor scores so that the panel mean rounds to the recap."""
    n = ry.scores.shape[0]
    for col in range(ry.scores.shape[1]):
        target = int(ry.recap[col])
        current = _rhu_mean(int(ry.scores[:, col].sum()), n)
        if current == target:
            continue
        ry.scores[:, col] += target - current
        over = (ry.scores[:, col] < 0) | (ry.scores[:, col] > 400)
        clipped["refit"] += int(over.sum())
        ry.scores[:, col] = np.clip(ry.scores[:, col], 0, 400)
        # After clipping, spread the remaining difference over assessors with room.
        guard = 0
        while _rhu_mean(int(ry.scores[:, col].sum()), n) != target and guard < 2000:
            step = 1 if _rhu_mean(int(ry.scores[:, col].sum()), n) < target else -1
            room = [i for i in range(n) if 0 <= ry.scores[i, col] + step <= 400]
            ry.scores[room[guard % len(room)], col] += step
            guard += 1


def _assign_ranks(rys: dict, year: int) -> None:
    groups: dict[str, list[_RY]] = {}
    for ry in rys.values():
        if ry.year == year:
            groups.setdefault(ry.group, []).append(ry)
    for members in groups.values():
        for ry in members:
            ry.rank = 1 + sum(1 for x in members if x.final > ry.final)
            ry.rank_of = len(members)


# --------------------------------------------------------------------------
# Writers


class _Faults:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, file: str, sheet: str, row: Any, column: str, value: Any, fault: str) -> None:
        self.items.append({"file": file, "sheet": sheet, "row": row,
                           "column": column, "value": value, "fault": fault})


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
    entries = sorted((ry for ry in rys.values() if ry.year == year),
                     key=lambda x: (x.group if year in COHORT_GROUPED_YEARS else "",
                                    x.rank, x.regency))
    data_rows = []
    for i, ry in enumerate(entries, start=1):
        remark = None
        if ry.published:
            remark = f"Sesuai publikasi: {', '.join(ry.published)}"
            if len(ry.published) < len(pillars) + len(dims) + 1:
                remark += "; nilai lain simulasi"
        row = ([i, ry.regency, gaz_prov[ry.regency], ry.cohort, ry.group]
               + [_fmt(int(c), scale) for c in ry.recap]
               + [_fmt(ry.final, scale), ry.rank, remark, "ya"])
        data_rows.append((ry, row))
    return columns, sheet_rows, data_rows, header_sub


def _write_recap(out_dir, year, rys, ref, gaz, seed, faults: _Faults, protected, national):
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
        2020: [("Kabupaten Kutai Kartanegara", "Kutai Kartanegra", "regency_misspelling")],
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
        value_fault(lambda v: _comma(v), "decimal_comma_text")
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
    if year in COHORT_GROUPED_YEARS:
        label = f"Angkatan {min(ry.cohort for ry, _ in data_rows)}"
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
    _save_workbook(wb, path)

    index_of = {id(r): i + 1 for i, r in enumerate(all_rows)}
    for row, column, value, kind in pending:
        faults.add(fname, sheet, index_of[id(row)], column, value, kind)
    return path


def _write_assessor_books(out_dir, rys, ref, gaz, seed, faults: _Faults, national):
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
        fname = f"asesor/{ry.year}/penilaian_{_slug(ry.regency)}_{ry.year}.xlsx"
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
                value: Any = _fmt(int(ry.scores[a_i, i]))
                if (not comma_done and not ry.fixed and i == 2 and a_i == 0
                        and rng.random() < 0.5):
                    value, comma_done = _comma(value), True
                    faults.add(fname, sheet, row_no, "Nilai", value, "decimal_comma_text")
                remarks = _PILLAR_REMARKS.get(key) or _DIMENSION_REMARKS.get(key)
                remark = remarks[int(rng.integers(0, len(remarks)))] if rng.random() < 0.5 else None
                rows.append([i + 1, label if is_p else None, None if is_p else label,
                             value, remark, "ya"])
            for row in rows:
                ws.append(row)
        path = out_dir / fname
        _save_workbook(wb, path)
        written.append(path)
    return written


def _write_form(out_dir, rys, ref, gaz, params, seed, faults: _Faults, clipped):
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
                remarks = _PILLAR_REMARKS.get(key) or _DIMENSION_REMARKS.get(key)
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
                     _comma(r["value"] / 100), r["remark"], "ya"])
        if "regency_variant" in r["fault"]:
            faults.add(fname, "", line, "Kabupaten/Kota", r["name"], "regency_variant")
        if "superseded" in r["fault"]:
            faults.add(fname, "", line, "Nilai", _comma(r["value"] / 100), "superseded")
    path = out_dir / fname
    atomic_write(path, _csv_bytes(rows, delimiter=";", bom=True))
    return path


def _write_quick_wins(out_dir, rys, ref, params, seed, faults: _Faults):
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
    for ry in entries:
        real = REAL_QUICK_WINS.get((ry.regency, ry.year), {})
        for k in ref.pillars:
            stems = _PROGRAMME_STEMS[k]
            name = real.get(k) or stems[int(rng.integers(0, len(stems)))].format(s=_short(ry.regency))
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
                row[5], comma = _comma(row[5]), True
                faults.add(fname, sheet, len(rows), "Nilai Outcome", row[5],
                           "decimal_comma_text")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for row in rows:
        ws.append(row)
    path = out_dir / fname
    _save_workbook(wb, path)
    return path


def _write_recommendations(out_dir, rys, ref, gaz, seed, faults: _Faults, national):
    """The recommendations register: the panels' recommendations of 2022 and 2023, their follow-up one year
    later (a row repeating the recommendation, with status, date and evidence), and agencies per pillar.

    Kutai Kartanegara 2023 carries the real recommendations and agency counts of its session (seed 000); every
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
    _save_workbook(wb, path)
    return path


def _write_cohorts(out_dir, members, gaz, ref):
    prov = dict(zip(gaz.regency, gaz.province))
    rows = [["Kabupaten/Kota", "Provinsi", "Angkatan", "Sumber", "Simulasi"]]
    order = gaz[gaz.regency.isin(members)].regency
    for name in sorted(order, key=lambda n: (members[n], n)):
        known = ref.cohorts_known.get(name)
        if known and known[0] == members[name]:
            rows.append([name, prov[name], members[name], f"cohorts_known.csv: {known[1]}",
                         "tidak"])
        else:
            rows.append([name, prov[name], members[name], "simulasi", "ya"])
    path = out_dir / "angkatan" / "register_angkatan.csv"
    atomic_write(path, _csv_bytes(rows))
    return path


def _write_groups(out_dir, rys):
    """The evaluation-group register: every group of every year with its number of members.

    Ranks are computed only within a group whose size is known; the register
    gives the size of each simulated group (the rows of every recap year, the
    regencies of the form year).
    """
    sizes: dict[tuple[int, str], int] = {}
    for ry in rys.values():
        sizes[(ry.year, ry.group)] = sizes.get((ry.year, ry.group), 0) + 1
    rows = [["Tahun", "Kelompok", "Jumlah Peserta", "Lingkup Peringkat", "Sumber", "Simulasi"]]
    for (year, group), n in sorted(sizes.items()):
        scope = "nasional" if group == "Nasional" else "angkatan"
        rows.append([year, group, n, scope, "simulasi", "ya"])
    path = out_dir / "kelompok" / "register_kelompok.csv"
    atomic_write(path, _csv_bytes(rows))
    return path


# --------------------------------------------------------------------------
# Public API

#: Sub-folder of the output for the truth tables; the cleaner skips folders starting with "_".
#: Name of the truth folder, a sibling of the raw folder.
TRUTH_DIR = "truth"


def simulate_raw(out_dir: Path, *, seed: int = 2017, national: bool = False,
                 published_path: Path | None = None, truth_dir: Path | None = None) -> SimulationResult:
    """Write the simulated raw data into ``out_dir``, its truth and faults into ``truth_dir``.

    The same seed gives the same files byte for byte. Files in ``out_dir``
    that this function did not write are never touched; files listed in a
    previous run's ``simulation_truth.json`` that the new run does not write
    again are removed so that no stale simulated file remains.

    Args:
        out_dir: Target folder (created if missing), e.g. ``data/example/raw``.
        seed: Seed of every random draw.
        national: Simulate all 514 regencies with assessor workbooks for every
            evaluated regency-year (benchmark size) instead of the bundled
            270-member example.
        published_path: The published facts to reproduce; defaults to
            ``published_facts.csv`` of the bundled example.
        truth_dir: Folder for the truth tables; default ``truth`` beside
            ``out_dir`` (``data/example/truth``), so the cleaner never sees them.

    Returns:
        The paths written and the truth tables.

    Raises:
        RuntimeError: If a published figure could not be reproduced exactly.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir = Path(truth_dir) if truth_dir is not None else out_dir.parent / TRUTH_DIR
    ref = _load_reference()
    for year, spec in HEADER_VARIANTS.items():
        for key, alias in spec.items():
            match = reference.match_pillar if key in ref.pillars else reference.match_dimension
            if match(alias) != key:
                raise ValueError(f"header variant {alias!r} is not an alias of {key}")
    published_path = Path(published_path) if published_path else _default_published_path()
    gen = _generate(seed, national, None, published_path, ref)
    params, gaz, pub, members, evaluated, clipped, rys, maturity, leniency, delta_by_year, applied = (
        gen.params, gen.gaz, gen.pub, gen.members, gen.evaluated, gen.clipped, gen.rys, gen.maturity,
        gen.leniency, gen.delta_by_year, gen.applied)

    protected = set(pub.region)
    faults = _Faults()
    files: dict[str, list[Path]] = {}
    files["recap"] = [_write_recap(out_dir, y, rys, ref, gaz, seed, faults, protected, national)
                      for y in RECAP_YEARS]
    files["assessor"] = _write_assessor_books(out_dir, rys, ref, gaz, seed, faults, national)
    files["form"] = [_write_form(out_dir, rys, ref, gaz, params, seed, faults, clipped)]
    files["quick_wins"] = [_write_quick_wins(out_dir, rys, ref, params, seed, faults)]
    files["cohorts"] = [_write_cohorts(out_dir, members, gaz, ref)]
    files["groups"] = [_write_groups(out_dir, rys)]
    files["recommendations"] = [_write_recommendations(out_dir, rys, ref, gaz, seed, faults, national)]
    # The real published facts travel with the simulated files; an existing
    # copy in out_dir is left as it is.
    target_pub = out_dir / "published_facts.csv"
    if not target_pub.exists():
        atomic_write(target_pub, published_path.read_bytes())
    files["published"] = [target_pub]

    # Truth tables.
    truth_df = _truth_frame(rys, ref, gaz, maturity, national)
    fault_df = pd.DataFrame(faults.items, columns=["file", "sheet", "row", "column",
                                                   "value", "fault"])
    fault_df = fault_df.sort_values(["file", "sheet", "row", "column"], kind="stable")
    # The truth lives beside the raw folder, never inside it: the cleaner reads raw files only.
    truth_dir.mkdir(parents=True, exist_ok=True)
    truth_csv = truth_dir / "simulation_truth_regency_year.csv"
    faults_csv = truth_dir / "simulation_faults.csv"
    atomic_write(truth_csv, truth_df.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    atomic_write(faults_csv, fault_df.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    truth_json = truth_dir / "simulation_truth.json"
    files["truth"] = [truth_json, truth_csv, faults_csv]
    rel = sorted(p.relative_to(out_dir).as_posix() for k, g in files.items() if k != "truth" for p in g)
    truth = {
        "is_simulated": True,
        "note": ("Parameters of the simulated raw data; every file listed here is "
                 "simulated except published_facts.csv (real, see its source_url)."),
        "seed": seed,
        "national": national,
        "model": ("p_rtk = mu + m_r + g*(t - cohort_r) + a_k + e_rtk; "
                  "index_rt = c + sum_k beta_k*p_rtk + u_rt; "
                  "d_rtj = index_rt + delta_tj + v_rtj (sum_j w_tj*delta_tj = 0, "
                  "sum_j w_tj*v_rtj = 0); assessor score = true + l_a + h_art + N(0, sd_a) "
                  "(l_a ~ N(0, sd_l) leniency shared across regencies, h_art ~ N(0, sd_h) halo "
                  "shared by all scores of assessor a for regency-year rt); "
                  "recap = panel mean rounded half up to 2 decimals; "
                  "Nilai Akhir = sum_j w_tj*d_rtj rounded half up"),
        "parameters": params,
        "delta_tj": {str(y): dict(zip(ref.dims, [round(float(x), 6) for x in v]))
                     for y, v in delta_by_year.items()},
        "dimension_weights": {str(y): {j: float(w) for j, w in ws.items()}
                              for y, ws in ref.weights.items() if y in YEARS},
        "assessor_leniency": {k: round(v, 6) for k, v in leniency.items()},
        "assessor_error": _assessor_error(params),
        "cohort_sizes": {str(c): sum(1 for v in members.values() if v == c)
                         for c in sorted(set(members.values()))},
        "n_members": len(members),
        "evaluated_per_year": {str(y): len(v) for y, v in evaluated.items()},
        "evaluation_groups": {str(y): sorted({ry.group for ry in rys.values() if ry.year == y})
                              for y in YEARS},
        "clipped": clipped,
        "recommendation_followup": {
            "note": ("shares of the follow-up statuses one year after a recommendation of the register, drawn "
                     "independently of every score; recorded_share: recommendations whose follow-up is recorded"),
            "shares": FOLLOWUP_SHARES, "recorded_share": FOLLOWUP_RECORDED, "years": list(REGISTER_YEARS)},
        "published_reproduced": applied,
        "n_faults": int(len(fault_df)),
        "files": rel,
        "truth_files": sorted(p.name for p in files["truth"]),
    }
    _remove_stale(out_dir, truth_json, set(truth["files"]))
    atomic_write(truth_json, (json.dumps(truth, indent=2, ensure_ascii=False) + "\n")
                  .encode("utf-8"))
    return SimulationResult(out_dir=out_dir, truth_dir=truth_dir, seed=seed, national=national, files=files,
                            truth=truth, truth_regency_year=truth_df, faults=fault_df)


def _assessor_error(params: dict[str, Any]) -> dict[str, Any]:
    """Variance of one assessor's error on a score, and its covariance between two scores of one regency-year."""
    shared = params["sd_l"] ** 2 + params["sd_h"] ** 2
    return {"note": "one assessor, one regency-year; shared = leniency + halo",
            "variance": round(shared + params["sd_a"] ** 2, 6), "covariance_between_scores": round(shared, 6)}


@dataclass
class _Generated:
    """Everything the generating model draws, before any file is written."""

    params: dict[str, Any]
    gaz: pd.DataFrame
    pub: pd.DataFrame
    members: dict
    evaluated: dict
    clipped: dict[str, int]
    rys: dict
    maturity: Any
    leniency: dict
    delta_by_year: dict
    applied: list


def _generate(seed: int, national: bool, params: dict[str, Any] | None, published_path: Path,
              ref: Any, scenario: dict[str, Any] | None = None) -> _Generated:
    """The generating model shared by :func:`simulate_raw` and :func:`simulate_panels`.

    Membership, evaluations, latent scores, assessor panels, the published
    figures written into the recaps, the refit of the panels to the recaps,
    the ranks within year and group, and the check that every published
    figure is reproduced exactly.

    Raises:
        RuntimeError: If a published figure could not be reproduced exactly.
    """
    full = json.loads(json.dumps(DEFAULT_PARAMS))
    full.update(params or {})
    gaz = _load_gazetteer()
    pub_all = pd.read_csv(published_path)
    pub = pub_all[(pub_all["index"] == "GMSC_eval")
                  & pub_all.region.isin(set(gaz.regency))].copy()

    members = _choose_members(gaz, ref, pub, np.random.default_rng([seed, 1]), national,
                              full["kalimantan_weight"])
    evaluated = _choose_evaluations(members, pub, np.random.default_rng([seed, 5]))
    clipped = {"latent": 0, "assessor": 0, "refit": 0}
    rys, maturity, leniency, delta_by_year = _simulate_scores(
        members, evaluated, ref, full, seed, national, gaz, clipped, scenario)
    for ry in rys.values():
        ry.recap = _panel_recap(ry)
        ry.final = _final_cents(ry.recap[6:], ref.weights[ry.year], ref.dims)
    applied = _apply_published(rys, pub, ref, seed)
    for ry in rys.values():
        _refit_panel(ry, clipped)
    for year in YEARS:
        _assign_ranks(rys, year)
    _check_published(rys, pub)
    return _Generated(params=full, gaz=gaz, pub=pub, members=members, evaluated=evaluated, clipped=clipped,
                      rys=rys, maturity=maturity, leniency=leniency, delta_by_year=delta_by_year, applied=applied)


def simulate_panels(seed: int = 2017, national: bool = False, params: dict[str, Any] | None = None,
                    published_path: Path | None = None, scenario: dict[str, Any] | None = None) -> dict[str, Any]:
    """The simulated scores without writing files: panel means, assessor scores and the truth.

    Runs the same generating model as :func:`simulate_raw` (:func:`_generate`:
    membership, evaluations, latent scores, assessor panels, published
    figures, the refit of the panels to the recaps and the check that the
    published figures are reproduced) and returns tables instead of
    workbooks, for coverage studies over many seeds.

    Args:
        seed: Seed of every random draw.
        national: As in :func:`simulate_raw`.
        params: Parameters replacing entries of ``DEFAULT_PARAMS``.
        published_path: Published facts to reproduce.
        scenario: Departures from the model (keys of :data:`SCENARIO_DEFAULTS`), e.g. one of
            :data:`STRESS_SCENARIOS`; None keeps the model.

    Returns:
        ``{"units": one row per regency-year (regency, year, evaluation_group,
        pillar and dimension panel means, final_score, n_assessors, the true
        pillar scores as ``true_<pillar>``, ``true_index``, ``shift_cents`` (the
        shift that reproduces a published figure) and ``true_final_score`` (the
        true index plus that shift: what an error-free panel would publish)), "assessors": one row per
        regency-year and assessor (pillar and dimension scores), "parameters":
        the parameters used, "weights": {year: {dimension: weight}}}``.

    Raises:
        RuntimeError: If a published figure could not be reproduced exactly.
    """
    ref = _load_reference()
    gen = _generate(seed, national, params,
                    Path(published_path) if published_path else _default_published_path(), ref, scenario)
    full, rys = gen.params, gen.rys
    items = ref.pillars + ref.dims
    unit_rows, assessor_rows = [], []
    for ry in rys.values():
        row = {"regency": ry.regency, "year": ry.year, "evaluation_group": ry.group,
               "final_score": ry.final / 100, "n_assessors": len(ry.panel)}
        row.update({k: v / 100 for k, v in zip(items, ry.recap)})
        row.update({f"true_{k}": float(v) for k, v in zip(ref.pillars, ry.true_p)})
        row.update(true_index=float(ry.true_index), shift_cents=int(ry.shift),
                   true_final_score=float(ry.true_index) + ry.shift / 100)
        unit_rows.append(row)
        for name, scores in zip(ry.panel, ry.scores):
            a = {"regency": ry.regency, "year": ry.year, "assessor": name}
            a.update({k: v / 100 for k, v in zip(items, scores)})
            assessor_rows.append(a)
    return {"units": pd.DataFrame(unit_rows), "assessors": pd.DataFrame(assessor_rows), "parameters": full,
            "weights": {y: {j: float(w) for j, w in ws.items()} for y, ws in ref.weights.items()}}


def _remove_stale(out_dir: Path, truth_json: Path, keep: set[str]) -> None:
    """Remove files a previous run wrote and this run does not write again."""
    if not truth_json.exists():
        return
    try:
        old = json.loads(truth_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not old.get("is_simulated"):
        return
    root = out_dir.resolve()
    for rel in old.get("files", []):
        if rel in keep or rel == "published_facts.csv":
            continue
        path = (out_dir / rel).resolve()
        if root in path.parents and path.is_file():
            path.unlink()


def _check_published(rys: dict, pub: pd.DataFrame) -> None:
    for r in pub.itertuples():
        ry = rys.get((r.region, int(r.year)))
        if ry is None:
            continue
        if r.metric == "indeks_smart_city" and not pd.isna(r.value):
            if ry.final != int(round(float(r.value) * 100)):
                raise RuntimeError(f"{r.region} {r.year}: final {ry.final} != {r.value}")
            if not pd.isna(r.rank) and ry.rank != int(r.rank):
                raise RuntimeError(f"{r.region} {r.year}: rank {ry.rank} != {r.rank}")
            if not pd.isna(r.rank_of) and ry.rank_of != int(r.rank_of):
                raise RuntimeError(f"{r.region} {r.year}: group {ry.rank_of} != {r.rank_of}")


def _truth_frame(rys, ref, gaz, maturity, national) -> pd.DataFrame:
    ids = dict(zip(gaz.regency, gaz.regency_id))
    prov = dict(zip(gaz.regency, gaz.province))
    rows = []
    for (name, year), ry in sorted(rys.items(), key=lambda kv: (kv[0][1], ids[kv[0][0]])):
        has_book = year in RECAP_YEARS and (national or (
            prov[name].startswith("Kalimantan") and year in (2022, 2023)))
        row: dict[str, Any] = {
            "is_simulated": True, "regency_id": ids[name], "regency": name,
            "province": prov[name], "cohort_year": ry.cohort, "year": year,
            "years_in_programme": year - ry.cohort, "evaluation_group": ry.group,
            "maturity_m_r": round(maturity[name], 6),
        }
        for i, k in enumerate(ref.pillars):
            row[f"true_{k}"] = round(float(ry.true_p[i]), 6)
        row["true_index"] = round(ry.true_index, 6)
        row["u_rt"] = round(ry.u, 6)
        for i, j in enumerate(ref.dims):
            row[f"true_{j}"] = round(float(ry.true_d[i]), 6)
        for i, k in enumerate(ref.pillars + ref.dims):
            row[f"recap_{k}"] = ry.recap[i] / 100
        row["final_score"] = ry.final / 100
        row["rank"] = ry.rank
        row["rank_of"] = ry.rank_of
        row["n_assessors"] = len(ry.panel)
        row["assessors"] = "; ".join(ry.panel)
        row["shift_cents"] = ry.shift
        row["adjustment"] = ry.adjustment
        row["source_layout"] = "form" if year == FORM_YEAR else "recap"
        row["has_assessor_workbook"] = has_book
        rows.append(row)
    return pd.DataFrame(rows)
