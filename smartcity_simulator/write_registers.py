"""The simulated cohort register (layout ``cohorts``) and evaluation-group register (layout ``groups``)."""

from __future__ import annotations

from smartcity_simulator.files import csv_bytes
from smartcity_utils.tables import atomic_write


def write_cohorts(out_dir, members, gaz, ref):
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
    atomic_write(path, csv_bytes(rows))
    return path


def write_groups(out_dir, rys, ref):
    """The evaluation-group register: every simulated group of every year, its members and its cohorts.

    Ranks are computed only within a group whose size is known; the register
    gives the size of each simulated group (the rows of every recap year) and
    the cohorts it ranked (``Angkatan``: ``2017-2019``), by which a row whose
    file names no group (a published letter, the form) finds its group. The
    documented letters (``evaluation_groups.csv``, 2024) ship with the package
    and are not repeated here.
    """
    from smartcity_simulator.model import NATIONAL_GROUP, year_groups

    sizes: dict[tuple[int, str], int] = {}
    for ry in rys.values():
        sizes[(ry.year, ry.group)] = sizes.get((ry.year, ry.group), 0) + 1
    documented = {(year, g[0]) for year, groups in ref.letter_groups.items() for g in groups}
    rows = [["Tahun", "Kelompok", "Jumlah Peserta", "Angkatan", "Lingkup Peringkat", "Sumber", "Simulasi"]]
    for (year, group), n in sorted(sizes.items()):
        if (year, group) in documented:
            continue
        first, last = next((a, b) for name, a, b, _ in year_groups(year, ref) if name == group)
        scope = "nasional" if group == NATIONAL_GROUP else "angkatan"
        rows.append([year, group, n, str(first) if first == last else f"{first}-{last}", scope, "simulasi", "ya"])
    path = out_dir / "kelompok" / "register_kelompok.csv"
    atomic_write(path, csv_bytes(rows))
    return path
