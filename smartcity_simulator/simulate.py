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
year is before ``t``. The evaluation groups of a year are its documented
letters (``evaluation_groups.csv``) when they hold every cohort evaluated
(2024: ``Angkatan 2017-2022 (surat B-1478)`` of 191 and ``Angkatan 2023 (surat
B-1477)`` of 50), else the simulated letters of ``model.SIMULATED_GROUPS``
(2022: the 2017-2019 cohorts together, the 2021 cohort apart), else one
``Nasional`` group. Where a published rank (``rank_of``) or a documented letter
gives the size of a group, that group is a seeded sample of that size which
contains every regency with a published figure that year and the focus
regencies (2022: cohort 2021 sampled to 37; 2023: 130 regencies in one group;
2024: 191 of the 220 members of the 2017-2022 cohorts). The group register
gives each simulated group's size and cohorts.

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
scores are written as published, and where a rank is published the fewest
other members of the group are shifted as whole rows above or below the
regency: those nearest its score, whatever their cohort, so that placing a
rank moves no cohort's median (the groups are chosen so that few rows move:
Kota Kediri's 22nd of 100 moves 5 rows by 8 to 12 cents). Assessor
scores of every shifted regency-year are shifted by the same amounts, so the
recap stays the panel mean. The shifts are listed per regency-year in the
truth CSV (``shift_cents``, ``adjustment``).

Outputs (under ``out_dir``), all marked ``Simulasi = ya``:
``rekap/rekap_evaluasi_{2019..2023}.xlsx``,
``asesor/{year}/penilaian_{slug}_{year}.xlsx``,
``formulir/ekspor_formulir_2024.csv``, ``quick_win/register_quick_win.xlsx``,
``angkatan/register_angkatan.csv``, ``kelompok/register_kelompok.csv``,
``rekomendasi/register_rekomendasi.xlsx`` (the panels' recommendations of 2022 and 2023, their follow-up
one year later, agencies per pillar; statuses drawn independently of the scores), plus, in ``truth/`` beside the
raw folder, ``simulation_truth.json``,
``simulation_truth_regency_year.csv`` and ``simulation_faults.csv`` (the
deliberate faults, one row per cell or row). A copy of the real
``published_facts.csv`` is placed next to them when ``out_dir`` lacks one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from smartcity_simulator.files import Faults
from smartcity_simulator.model import (
    RECAP_YEARS,
    YEARS,
    assessor_error,
    default_published_path,
    generate,
    load_reference,
    truth_frame,
)
from smartcity_simulator.write_assessor import write_assessor_books
from smartcity_simulator.write_form import write_form
from smartcity_simulator.write_quick_wins import write_quick_wins
from smartcity_simulator.write_recap import HEADER_VARIANTS, write_recap
from smartcity_simulator.write_recommendations import (
    FOLLOWUP_RECORDED,
    FOLLOWUP_SHARES,
    REGISTER_YEARS,
    write_recommendations,
)
from smartcity_simulator.write_registers import write_cohorts, write_groups
from smartcity_utils import reference
from smartcity_utils.tables import atomic_write


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
    ref = load_reference()
    for spec in HEADER_VARIANTS.values():
        for key, alias in spec.items():
            match = reference.match_pillar if key in ref.pillars else reference.match_dimension
            if match(alias) != key:
                raise ValueError(f"header variant {alias!r} is not an alias of {key}")
    published_path = Path(published_path) if published_path else default_published_path()
    gen = generate(seed, national, None, published_path, ref)
    params, gaz, pub, members, evaluated, clipped, rys, maturity, leniency, delta_by_year, applied = (
        gen.params, gen.gaz, gen.pub, gen.members, gen.evaluated, gen.clipped, gen.rys, gen.maturity,
        gen.leniency, gen.delta_by_year, gen.applied)

    protected = set(pub.region)
    faults = Faults()
    files: dict[str, list[Path]] = {}
    files["recap"] = [write_recap(out_dir, y, rys, ref, gaz, seed, faults, protected, national)
                      for y in RECAP_YEARS]
    files["assessor"] = write_assessor_books(out_dir, rys, ref, gaz, seed, faults, national)
    files["form"] = [write_form(out_dir, rys, ref, gaz, params, seed, faults, clipped)]
    files["quick_wins"] = [write_quick_wins(out_dir, rys, ref, params, seed, faults)]
    files["cohorts"] = [write_cohorts(out_dir, members, gaz, ref)]
    files["groups"] = [write_groups(out_dir, rys, ref)]
    files["recommendations"] = [write_recommendations(out_dir, rys, ref, gaz, seed, faults, national)]
    # The real published facts travel with the simulated files; an existing
    # copy in out_dir is left as it is.
    target_pub = out_dir / "published_facts.csv"
    if not target_pub.exists():
        atomic_write(target_pub, published_path.read_bytes())
    files["published"] = [target_pub]

    # Truth tables.
    truth_df = truth_frame(rys, ref, gaz, maturity, national)
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
        "assessor_error": assessor_error(params),
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
