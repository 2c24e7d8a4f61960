"""The example's outputs stay byte-identical while the code is reorganised.

Every file that ``clean`` and ``analyse`` write for the bundled example is
hashed and compared with ``tests/fixtures/example_outputs.sha256``. Only the
fields that name the code itself (its version hash and the digests built from
it) are left out of the comparison. A change that is meant to alter an output
(a new column, a corrected number) updates the list on purpose:

    SMARTCITY_UPDATE_OUTPUT_HASHES=1 .venv/bin/python -m pytest tests/test_outputs_unchanged.py

and the commit says which files changed and why.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest
from fixtures.example_run import processed_example

HASHES = Path(__file__).parent / "fixtures" / "example_outputs.sha256"
#: Keys that record the code or the run rather than what was computed.
CODE_KEYS = frozenset({"code_version", "digest", "stamp", "generation"})


def _without_code(value):
    if isinstance(value, dict):
        return {k: _without_code(v) for k, v in value.items() if k not in CODE_KEYS}
    if isinstance(value, list):
        return [_without_code(v) for v in value]
    return value


#: Columns of the manifest that name the checkout and the code (where the raw folder lies, the code's hash).
MANIFEST_PLACE_COLUMNS = ["raw_folder", "code_version"]


def _manifest_bytes(path: Path) -> bytes:
    table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str,
                                                                                  keep_default_na=False)
    kept = table.drop(columns=[c for c in MANIFEST_PLACE_COLUMNS if c in table.columns])
    return (kept.to_csv(index=False) + repr(kept.dtypes.to_dict())).encode()


def content_hash(path: Path) -> str:
    """SHA-256 of a file; for JSON, of its content without the fields that name the code version; for the
    manifest, of its content without the columns that name the checkout's place and the code."""
    data = path.read_bytes()
    if path.stem == "manifest":
        data = _manifest_bytes(path)
    elif path.suffix == ".json":
        content = _without_code(json.loads(data))
        if isinstance(content.get("files"), dict):  # a generation's list: the manifest's own hash varies with it
            content["files"] = {k: v for k, v in content["files"].items() if not k.startswith("manifest.")}
        data = json.dumps(content, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()


def output_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): content_hash(p)
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def read_hashes(path: Path) -> dict[str, str]:
    pairs = (line.split("  ", 1) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {name: digest for digest, name in pairs}


def test_example_outputs_are_byte_identical(tmp_path_factory):
    now = output_hashes(processed_example(tmp_path_factory))
    if os.environ.get("SMARTCITY_UPDATE_OUTPUT_HASHES") == "1":
        HASHES.write_text("".join(f"{digest}  {name}\n" for name, digest in now.items()), encoding="utf-8")
    before = read_hashes(HASHES)
    assert sorted(now) == sorted(before), "the example's output files differ in name from the recorded list"
    changed = [name for name in before if now[name] != before[name]]
    assert not changed, f"outputs changed on the example: {changed}"


def test_the_comparison_sees_a_changed_byte(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    (tmp_path / "m.json").write_text('{"code_version": "1", "n": 2}', encoding="utf-8")
    first = output_hashes(tmp_path)
    (tmp_path / "m.json").write_text('{"code_version": "2", "n": 2}', encoding="utf-8")
    assert output_hashes(tmp_path) == first, "a new code version alone must not count as a change"
    (tmp_path / "manifest.csv").write_text("file,raw_folder\na.csv,/tmp/x\n", encoding="utf-8")
    placed = output_hashes(tmp_path)["manifest.csv"]
    (tmp_path / "manifest.csv").write_text("file,raw_folder\na.csv,/work/y\n", encoding="utf-8")
    assert output_hashes(tmp_path)["manifest.csv"] == placed, "the checkout's place is no change of output"
    (tmp_path / "manifest.csv").write_text("file,raw_folder\nb.csv,/work/y\n", encoding="utf-8")
    assert output_hashes(tmp_path)["manifest.csv"] != placed
    (tmp_path / "a.csv").write_text("x\n2\n", encoding="utf-8")
    assert output_hashes(tmp_path)["a.csv"] != first["a.csv"]
    with pytest.raises(AssertionError):
        assert output_hashes(tmp_path) == first
