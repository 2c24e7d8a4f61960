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


def write_groups(out_dir, rys):
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
    atomic_write(path, csv_bytes(rows))
    return path
