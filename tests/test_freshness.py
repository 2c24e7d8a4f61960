"""Each decision to run a step again or skip it: the clean tables, the analysis, a rendered page."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest

from smartcity_utils import freshness
from smartcity_utils.tables import write_tables


def test_tables_are_fresh_only_while_their_stamp_is_the_digest(tmp_path):
    write_tables({"scores": pd.DataFrame({"score": [2.5]})}, tmp_path, stamp="digest-a")
    assert freshness.tables_are_fresh(tmp_path, "digest-a")
    assert not freshness.tables_are_fresh(tmp_path, "digest-b")
    # Raw folders that cannot be listed whole give no digest: never fresh, whatever the stamp.
    assert not freshness.tables_are_fresh(tmp_path, None)
    assert not freshness.tables_are_fresh(tmp_path / "never-cleaned", "digest-a")


def test_tables_without_a_stamp_are_never_fresh(tmp_path):
    write_tables({"scores": pd.DataFrame({"score": [2.5]})}, tmp_path)
    assert not freshness.tables_are_fresh(tmp_path, "digest-a")


def test_an_analysis_never_computed_is_stale(tmp_path):
    assert freshness.analysis_is_stale(tmp_path)


def _page(folder, digest: str | None = "digest-a", html: bool = True, notebook: bool = True):
    job = SimpleNamespace(html=folder / "kabupaten-paser.id.html", notebook=folder / "kabupaten-paser.id.ipynb",
                          stamp=folder / ".stamps" / "kabupaten-paser.id.json")
    job.stamp.parent.mkdir(parents=True, exist_ok=True)
    if html:
        job.html.write_text("<html></html>", encoding="utf-8")
    if notebook:
        job.notebook.write_text("{}", encoding="utf-8")
    if digest is not None:
        job.stamp.write_text(json.dumps({"digest": digest}), encoding="utf-8")
    return job


def test_a_page_is_fresh_when_its_files_are_there_and_its_stamp_holds_the_digest(tmp_path):
    job = _page(tmp_path)
    assert freshness.page_is_fresh(job, "digest-a")
    assert not freshness.page_is_fresh(job, "digest-b")


@pytest.mark.parametrize("missing", ["html", "notebook", "stamp"])
def test_a_page_missing_a_file_is_rendered_again(tmp_path, missing):
    job = _page(tmp_path, digest=None if missing == "stamp" else "digest-a", html=missing != "html",
                notebook=missing != "notebook")
    assert not freshness.page_is_fresh(job, "digest-a")


@pytest.mark.parametrize("stamp", ["{not json", "[\"digest-a\"]"])
def test_a_page_with_an_unreadable_stamp_is_rendered_again(tmp_path, stamp):
    job = _page(tmp_path)
    job.stamp.write_text(stamp, encoding="utf-8")
    assert not freshness.page_is_fresh(job, "digest-a")
