"""Each regency's context: population, GRDP and GRDP per capita (quarcs-lab, CC BY 4.0), joined to the gazetteer.

The bundled file ``smartcity_utils/data/context_grdp_population.csv`` is keyed by the BPS district code.
BPS and Kemendagri number districts differently (BPS 6402 is Kutai Barat, Kemendagri 64.02 is Kutai
Kartanegara; BPS numbers Papua 94, Kemendagri 91), and the gazetteer (``regencies.py``) knows the codes of
a few regencies only. So the join resolves each district by its name, its kind (a BPS code whose third
digit is 7 is a kota) and its province (the English name translated by ``province_names.csv``), through
the same resolver as every other name: renamed districts (Toba Samosir, now Toba; Mamuju Utara, now
Pasangkayu) resolve by their former names, and a district listed under the province it was split from
(Kalimantan Timur before Kalimantan Utara) still resolves by its name. Then the code is checked: its
province digits must be the province's, and where the gazetteer knows a regency's BPS code the two must
be equal. Districts that resolve to no regency, or two to one, are listed, never guessed.

The provenance file beside the data records where it came from, its licence and its checksum;
:func:`verify_checksum` checks the file against it.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from smartcity_utils import reference as ref
from smartcity_utils.errors import ReferenceTableError
from smartcity_utils.regencies import regency_resolver

CONTEXT_FILE = ref.REFERENCE_DIR / "context_grdp_population.csv"
PROVENANCE_FILE = ref.REFERENCE_DIR / "context_grdp_population.provenance.json"
#: GRDP per capita 2018-2024 (quarcs-lab/indonesia514): the years of the evaluations, in the 38 provinces of 2022.
RECENT_FILE = ref.REFERENCE_DIR / "context_grdp_per_capita_recent.csv"
RECENT_PROVENANCE_FILE = ref.REFERENCE_DIR / "context_grdp_per_capita_recent.provenance.json"
PROVINCES_FILE = "province_names.csv"
#: Source spellings the resolver cannot read (another word order), each mapped to its gazetteer name.
ALIASES_FILE = "context_district_aliases.csv"

#: The third digit of a BPS district code is 7 for a city (kota) and 0 or 1 for a regency (kabupaten).
CITY_DIGIT = "7"


def verify_checksum(path: str | Path | None = None, provenance: str | Path | None = None) -> str:
    """The file's SHA-256, checked against its provenance record.

    Raises:
        ReferenceTableError: when the file differs from the one the provenance describes.
    """
    path = Path(path) if path is not None else CONTEXT_FILE
    meta = json.loads(Path(provenance or PROVENANCE_FILE).read_text(encoding="utf-8"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != meta["sha256"]:
        raise ReferenceTableError(f"{path.name} has SHA-256 {digest}, its provenance records {meta['sha256']}: "
                                  "the file was changed after it was obtained; fetch it again as the provenance says")
    return digest


def provenance(path: str | Path | None = None) -> dict:
    """The provenance record of a context file (address, commit, date, checksum, licence, attribution)."""
    return json.loads(Path(path or PROVENANCE_FILE).read_text(encoding="utf-8"))


#: How the source writes a district's kind: a prefix (``Kota Batu``, ``Kab. Manokwari Selatan``), a suffix after a
#: comma (``Ambon, Kota``) or an English word (``Kendari City``); ``Kep.`` abbreviates ``Kepulauan``.
_PREFIX = re.compile(r"^(?P<kind>kota|kab\.?|kabupaten)\s+", re.IGNORECASE)
#: Jakarta's five cities and one regency are "administrative" (Kota Administrasi Jakarta Selatan).
_ADMINISTRATIVE = re.compile(r"^(administrasi|adm\.)\s+", re.IGNORECASE)
_SUFFIX = re.compile(r"\s+(?P<kind>city|regency)$", re.IGNORECASE)
_KEP = re.compile(r"\bKep\.\s*", re.IGNORECASE)


def _kind_word(word: str) -> str:
    return "kota" if word.lower() in ("kota", "city") else "kabupaten"


def _clean_name(name: str) -> tuple[str, str | None]:
    """A district name as written in the source and its kind, when the name gives it.

    ``Ambon, Kota`` -> (``Ambon``, kota); ``Tambrauw, Kab`` -> (``Tambrauw``, kabupaten); ``Kendari City`` ->
    (``Kendari``, kota); ``Kab. Manokwari Selatan`` -> (``Manokwari Selatan``, kabupaten); ``Parepare,`` ->
    (``Parepare``, None); ``Kep. Siau Tagulandang Biaro`` -> (``Kepulauan Siau Tagulandang Biaro``, None).
    """
    main, _, suffix = str(name).partition(",")
    main, suffix = main.strip(), suffix.strip().lower()
    kind = "kota" if suffix.startswith("kota") else "kabupaten" if suffix.startswith("kab") else None
    for pattern in (_PREFIX, _SUFFIX):
        match = pattern.search(main)
        if match:
            kind = kind or _kind_word(match.group("kind").rstrip("."))
            main = pattern.sub("", main).strip()
    main = _ADMINISTRATIVE.sub("", main)
    return _KEP.sub("Kepulauan ", main).strip(), kind


def crosswalk(districts: pd.DataFrame, province_column: str = "province_en") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each source district (``bps_code, district_name`` and its province as the source writes it, in English or
    Indonesian, in ``province_column``) resolved to a regency id.

    A district of a province created after the gazetteer's 34 (Papua Selatan, 2022) is looked up in the province
    it was created from (``province_names.csv``); its new BPS code is checked against that row.

    Returns:
        ``(matched, unmatched)``: matched has ``bps_code, regency_id, regency, province, code_note`` (a note when
        the code's province digits or a code the gazetteer knows disagree with the resolved regency);
        unmatched has ``bps_code, district_name, province_en, reason`` (an unknown or ambiguous name, or a
        second district resolving to a regency already taken).
    """
    provinces = ref.read_reference(PROVINCES_FILE)
    by_en = dict(zip(provinces["province_en"], provinces["province"]))
    by_en.update(zip(provinces["province_local"], provinces["province"]))
    by_code = dict(zip(provinces["bps_province_code"], provinces["province"]))
    aliases = ref.read_reference(ALIASES_FILE)
    alias = dict(zip(aliases["source_name"], aliases["regency"]))
    resolver = regency_resolver()
    table = resolver.table
    matched, unmatched = [], []
    seen: dict[int, str] = {}
    units = districts.drop_duplicates("bps_code")[["bps_code", "district_name", province_column]]
    for code, name, province_en in units.itertuples(index=False):
        code = str(code)
        bare, kind = _clean_name(name)
        kind = kind or ("kota" if code[2:3] == CITY_DIGIT else "kabupaten")
        province = by_en.get(province_en, province_en)
        res = resolver.resolve(alias.get(name, f"{kind} {bare}"), province, kind)
        code_kind = "kota" if code[2:3] == CITY_DIGIT else "kabupaten"
        if res.regency_id is None and code_kind != kind:
            # "Kota Baru" (BPS 6302) is the regency Kotabaru: the code's kind over a word read as a prefix.
            res = resolver.resolve(f"{code_kind} {str(name).partition(',')[0].strip()}", province, code_kind)
        if res.regency_id is None:
            unmatched.append((code, name, province_en, f"{res.reason}: {res.suggestion or 'no known name'}"))
            continue
        rid = int(res.regency_id)
        if rid in seen:
            unmatched.append((code, name, province_en, f"a second district for {resolver.name(rid)} "
                                                       f"(first: BPS {seen[rid]})"))
            continue
        seen[rid] = code
        notes = []
        if by_code.get(code[:2]) != table.at[rid, "province"]:
            notes.append(f"code {code} is numbered in {by_code.get(code[:2], '?')}, the district is in "
                         f"{table.at[rid, 'province']}")
        known = table.at[rid, "bps_code"]
        if isinstance(known, str) and known and known != code:
            notes.append(f"the gazetteer gives BPS {known}")
        matched.append((code, rid, resolver.name(rid), table.at[rid, "province"], "; ".join(notes)))
    return (pd.DataFrame(matched, columns=["bps_code", "regency_id", "regency", "province", "code_note"]),
            pd.DataFrame(unmatched, columns=["bps_code", "district_name", "province", "reason"]))


def load_context(path: str | Path | None = None, year: int | None = None) -> pd.DataFrame:
    """The context per regency (and year), joined to the gazetteer.

    Args:
        path: The context file (default: the bundled one, checked against its provenance).
        year: One year only; default all years in the file.

    Returns:
        ``regency_id, regency, province, year, population, grdp_billion_idr, grdp_per_capita_thousand_idr,
        bps_code, code_note``; the unmatched districts are in ``.attrs["unmatched"]`` (one dict per district).
    """
    if path is None:
        verify_checksum()
    frame = pd.read_csv(path or CONTEXT_FILE, dtype={"bps_code": str})
    if year is not None:
        frame = frame[frame["year"] == year]
    matched, unmatched = crosswalk(frame)
    out = frame.merge(matched, on="bps_code", how="inner", validate="m:1")
    out = out[["regency_id", "regency", "province", "year", "population", "grdp_billion_idr",
               "grdp_per_capita_thousand_idr", "bps_code", "code_note"]].reset_index(drop=True)
    out.attrs["unmatched"] = unmatched.to_dict("records")  # records: a frame in attrs breaks merges
    return out


def load_recent(path: str | Path | None = None) -> pd.DataFrame:
    """GRDP per capita 2018-2024 per regency and year (quarcs-lab/indonesia514), joined like :func:`load_context`.

    Returns:
        ``regency_id, regency, province, year, grdp_per_capita_thousand_idr, bps_code, code_note``; the
        unmatched districts are in ``.attrs["unmatched"]`` (one dict per district).
    """
    if path is None:
        verify_checksum(RECENT_FILE, RECENT_PROVENANCE_FILE)
    frame = pd.read_csv(path or RECENT_FILE, dtype={"bps_code": str})
    matched, unmatched = crosswalk(frame, "province_name")
    out = frame.merge(matched, on="bps_code", how="inner", validate="m:1")
    out = out[["regency_id", "regency", "province", "year", "grdp_per_capita_thousand_idr", "bps_code",
               "code_note"]].reset_index(drop=True)
    out.attrs["unmatched"] = unmatched.to_dict("records")  # records: a frame in attrs breaks merges
    return out


def latest(context: pd.DataFrame) -> pd.DataFrame:
    """One row per regency: its latest year with all three values."""
    full = context.dropna(subset=["population", "grdp_per_capita_thousand_idr"])
    return full.sort_values("year").drop_duplicates("regency_id", keep="last").reset_index(drop=True)


def position_in(context: pd.DataFrame, regency_id: int, members: list[int], column: str) -> tuple[int, int] | None:
    """Rank of a regency's value among a group's members (1 = highest) and the number of members with a value."""
    values = context.set_index("regency_id")[column].reindex(members).dropna()
    if regency_id not in values.index:
        return None
    return int((values > values[regency_id]).sum()) + 1, int(len(values))


#: Bootstrap resamples of the association's interval, and the seed (a fixed seed: the page is reproducible).
N_BOOT = 2000
SEED = 2017


def association(units: pd.DataFrame, outcome: str = "index_value",
                covariates: tuple[str, ...] = ("log_grdp_per_capita", "log_population"),
                n_boot: int = N_BOOT, seed: int = SEED) -> pd.DataFrame:
    """OLS of the published index on the context, with HC3 standard errors and a percentile bootstrap interval.

    Estimand: the difference in the mean published index between regencies that differ by one unit of a
    covariate (one log unit: about 2.7 times the GRDP per capita), the other covariate held fixed, among
    the regencies that published an index. Assumptions: one row per regency (independent units), a linear
    mean; HC3 guards against unequal variances. It is an association in a selected sample (regencies that
    publish), not an effect of wealth or size on the score.

    Returns:
        One row per covariate: ``term, estimate, se_hc3, ci_low, ci_high, boot_low, boot_high, n``.
    """
    import statsmodels.api as sm

    data = units.dropna(subset=[outcome, *covariates])
    n = len(data)
    columns = ["term", "estimate", "se_hc3", "ci_low", "ci_high", "boot_low", "boot_high", "n"]
    if n < len(covariates) + 3:
        return pd.DataFrame(columns=columns)
    X = sm.add_constant(data[list(covariates)].to_numpy(float))
    y = data[outcome].to_numpy(float)
    fit = sm.OLS(y, X).fit(cov_type="HC3")
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        take = rng.integers(0, n, n)
        Xb, yb = X[take], y[take]
        if np.linalg.matrix_rank(Xb) < X.shape[1]:
            continue
        boots.append(np.linalg.lstsq(Xb, yb, rcond=None)[0])
    boots = np.array(boots)
    ci = fit.conf_int(alpha=0.05)
    rows = []
    for i, term in enumerate(covariates, start=1):
        low, high = (np.percentile(boots[:, i], [2.5, 97.5]) if len(boots) else (math.nan, math.nan))
        rows.append((term, fit.params[i], fit.bse[i], ci[i][0], ci[i][1], low, high, n))
    return pd.DataFrame(rows, columns=columns)


def association_units(figures: pd.DataFrame, context: pd.DataFrame,
                      recent: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per regency with a published index: its latest published index and its latest context; with
    ``recent`` (:func:`load_recent`) also the GRDP per capita of the index's own year (``log_grdp_pc_same_year``)."""
    last = figures.sort_values("year").drop_duplicates("regency_id", keep="last")
    ctx = latest(context)
    units = last.merge(ctx[["regency_id", "population", "grdp_per_capita_thousand_idr"]], on="regency_id",
                       how="left", validate="1:1")
    units["log_grdp_per_capita"] = np.log(units["grdp_per_capita_thousand_idr"])
    units["log_population"] = np.log(units["population"])
    if recent is not None:
        same = recent[["regency_id", "year", "grdp_per_capita_thousand_idr"]].rename(
            columns={"grdp_per_capita_thousand_idr": "grdp_pc_same_year"})
        units = units.merge(same, on=["regency_id", "year"], how="left", validate="1:1")
        units["log_grdp_pc_same_year"] = np.log(units["grdp_pc_same_year"])
    return units


def publishers_against_all(units: pd.DataFrame, context: pd.DataFrame) -> pd.DataFrame:
    """The selection in context: where the regencies that publish an index sit among all 514.

    Returns:
        One row per measure (``population``, ``grdp_per_capita_thousand_idr``): the median of the publishing
        regencies, the median of all regencies, and the publishers' median percentile among all.
    """
    ctx = latest(context)
    rows = []
    for column in ("population", "grdp_per_capita_thousand_idr"):
        everyone = ctx[column].dropna()
        theirs = units[column].dropna()
        pct = [float((everyone < v).mean()) for v in theirs]
        rows.append({"measure": column, "median_publishers": float(theirs.median()) if len(theirs) else math.nan,
                     "median_all": float(everyone.median()), "n_publishers": int(len(theirs)),
                     "n_all": int(len(everyone)), "median_percentile": float(np.median(pct)) if pct else math.nan})
    return pd.DataFrame(rows)
