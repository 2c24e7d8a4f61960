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


def content_hash(path: Path) -> str:
    """SHA-256 of a file; for JSON, of its content without the fields that name the code version."""
    data = path.read_bytes()
    if path.suffix == ".json":
        data = json.dumps(_without_code(json.loads(data)), sort_keys=True).encode()
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
    (tmp_path / "a.csv").write_text("x\n2\n", encoding="utf-8")
    assert output_hashes(tmp_path)["a.csv"] != first["a.csv"]
    with pytest.raises(AssertionError):
        assert output_hashes(tmp_path) == first
