"""The generating model of the simulated example: members, evaluations, latent scores, assessor panels,
the published figures reproduced, ranks; and the departures of the stress scenarios (the module
docstring of :mod:`smartcity_simulator.simulate` gives the model in full)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from smartcity_simulator.files import INSTITUTIONS
from smartcity_utils import paths, reference, regencies

YEARS = (2019, 2020, 2021, 2022, 2023, 2024)


RECAP_YEARS = (2019, 2020, 2021, 2022, 2023)


FORM_YEAR = 2024


QUICK_WIN_YEARS = (2022, 2023, 2024)


#: Recaps of this year are published on the 0 to 100 scale.
SCALE_100_YEARS = (2019,)


#: Letter groups of years that the documented letters (``evaluation_groups.csv``) do not cover whole: the
#: cohorts each group ranked together, (first, last). 2022: the 2017-2019 cohorts in one group (Kota Kediri's
#: published 22nd) and the 2021 cohort apart (Paser's published "8 of 37"). Any other year without documented
#: letters has one group, ``Nasional``, of every cohort evaluated.
SIMULATED_GROUPS: dict[int, tuple[tuple[int, int], ...]] = {2022: ((2017, 2019), (2021, 2021))}


#: Name of a year's single group when no letter splits it.
NATIONAL_GROUP = "Nasional"


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


@dataclass
class _Ref:
    pillars: list[str]
    pillar_names: dict[str, str]
    dims: list[str]
    dim_names: dict[str, str]
    weights: dict[int, dict[str, Fraction]]
    cohort_sizes: dict[int, int]
    cohorts_known: dict[str, tuple[int, str]]
    #: Documented letter groups per year: ``(name, first cohort, last cohort, members)``.
    letter_groups: dict[int, list[tuple[str, int, int, int]]] = field(default_factory=dict)


def load_reference() -> _Ref:
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
    letters: dict[int, list[tuple[str, int, int, int]]] = {}
    for r in reference.evaluation_groups().itertuples():
        letters.setdefault(int(r.year), []).append((str(r.evaluation_group), int(r.cohort_from), int(r.cohort_to),
                                                    int(r.n_members)))
    return _Ref(
        pillars=list(pil.pillar_key),
        pillar_names=dict(zip(pil.pillar_key, pil.pillar)),
        dims=list(dim.dimension_key),
        dim_names=dict(zip(dim.dimension_key, dim.dimension)),
        weights=weights,
        cohort_sizes={int(r.cohort_year): int(r.n_regencies) for r in cs.itertuples()},
        cohorts_known={r.regency: (int(r.cohort_year), str(r.source)) for r in ck.itertuples()},
        letter_groups=letters,
    )


def _load_gazetteer() -> pd.DataFrame:
    """The 514 regencies and cities of ``areaid``, sorted by id."""
    return regencies.gazetteer()[["regency_id", "regency", "province", "kind"]].copy()


def default_published_path() -> Path:
    candidates = [paths.EXAMPLE_RAW_DIR / "published_facts.csv"]
    for cand in candidates:
        if cand.exists():
            return cand
    raise FileNotFoundError(
        "published_facts.csv not found in " + ", ".join(str(c) for c in candidates)
        + "; pass published_path")


def _rhu_mean(total: int, n: int) -> int:
    """Mean of integer cents rounded half up, in exact integer arithmetic."""
    return (2 * total + n) // (2 * n)


def _final_cents(dims_cents: np.ndarray, weights: dict[str, Fraction], dims: list[str]) -> int:
    total = sum(weights[j] * int(c) for j, c in zip(dims, dims_cents))
    return int((total + Fraction(1, 2)) // 1)


def _weighted(dims_cents: np.ndarray, weights: dict[str, Fraction], dims: list[str]) -> Fraction:
    return sum(weights[j] * int(c) for j, c in zip(dims, dims_cents))


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


def cohort_label(first: int, last: int) -> str:
    """A simulated letter group named by its cohorts: ``Angkatan 2021``, ``Angkatan 2017-2019``."""
    return f"Angkatan {first}" if first == last else f"Angkatan {first}-{last}"


def year_groups(year: int, ref: _Ref) -> list[tuple[str, int, int, int | None]]:
    """The evaluation groups of ``year``: ``(name, first cohort, last cohort, members or None)``.

    The documented letters of the year when they hold every cohort evaluated that year (2024: the 191 of the
    2017-2022 cohorts, the 50 of the 2023 cohort); else the simulated letters of :data:`SIMULATED_GROUPS`; else
    one national group of every cohort evaluated. A size None is set by a published "rank r of N" or is the
    number of members evaluated.
    """
    cohorts = sorted(c for c in ref.cohort_sizes if c < year)
    if not cohorts:
        return []
    documented = ref.letter_groups.get(year, [])
    if documented and all(any(a <= c <= b for _, a, b, _ in documented) for c in cohorts):
        return [(name, a, b, n) for name, a, b, n in documented]
    if year in SIMULATED_GROUPS:
        spans = SIMULATED_GROUPS[year]
        if not all(any(a <= c <= b for a, b in spans) for c in cohorts):
            raise ValueError(f"the simulated groups of {year} leave a cohort out: {spans} for {cohorts}")
        return [(cohort_label(a, b), a, b, None) for a, b in spans]
    return [(NATIONAL_GROUP, cohorts[0], cohorts[-1], None)]


def _group_label(year: int, cohort: int, ref: _Ref) -> str:
    """The evaluation group of a member of ``cohort`` in ``year`` (:func:`year_groups`)."""
    for name, first, last, _ in year_groups(year, ref):
        if first <= cohort <= last:
            return name
    raise ValueError(f"no evaluation group of {year} holds the cohort {cohort}")


def _choose_evaluations(members: dict[str, int], pub: pd.DataFrame,
                        rng: np.random.Generator, ref: _Ref) -> dict[int, list[str]]:
    pub_idx = pub[pub.metric == "indeks_smart_city"]
    evaluated: dict[int, list[str]] = {}
    for year in YEARS:
        eligible = sorted(n for n, c in members.items() if c < year)
        must = {r.region for r in pub[pub.year == year].itertuples() if r.region in members}
        must |= {n for n in FOCUS_REGENCIES if n in members and members[n] < year}
        # A published "rank r of N" fixes the size of that regency's group, and so does a documented letter.
        targets: dict[str, int] = {}
        for r in pub_idx[(pub_idx.year == year) & pub_idx.rank_of.notna()].itertuples():
            if r.region in members:
                label = _group_label(year, members[r.region], ref)
                if targets.setdefault(label, int(r.rank_of)) != int(r.rank_of):
                    raise ValueError(f"two published sizes of {label} {year}")
        for label, _first, _last, n in year_groups(year, ref):
            if n is not None and targets.setdefault(label, n) != n:
                raise ValueError(f"{label} {year}: a published rank gives {targets[label]} members, the letter {n}")
        for label, size in targets.items():
            in_group = [n for n in eligible if _group_label(year, members[n], ref) == label]
            keep = sorted(n for n in in_group if n in must)
            pool = [n for n in in_group if n not in must]
            if len(keep) > size or len(in_group) < size:
                raise ValueError(f"cannot make {label} {year} of size {size}")
            pick = rng.choice(len(pool), size=size - len(keep), replace=False)
            chosen = set(keep) | {pool[i] for i in pick}
            eligible = [n for n in eligible
                        if _group_label(year, members[n], ref) != label or n in chosen]
        evaluated[year] = eligible
    return evaluated


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
            ry = _RY(regency=name, year=year, cohort=c, group=_group_label(year, c, ref))
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


def assessor_error(params: dict[str, Any]) -> dict[str, Any]:
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


def generate(seed: int, national: bool, params: dict[str, Any] | None, published_path: Path,
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
    evaluated = _choose_evaluations(members, pub, np.random.default_rng([seed, 5]), ref)
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

    Runs the same generating model as :func:`simulate_raw` (:func:`generate`:
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
    ref = load_reference()
    gen = generate(seed, national, params,
                    Path(published_path) if published_path else default_published_path(), ref, scenario)
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


def truth_frame(rys, ref, gaz, maturity, national) -> pd.DataFrame:
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
