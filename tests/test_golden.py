"""The golden baseline: every scenario's fixed-seed results equal the committed ones.

A change of model behaviour on purpose regenerates ``tests/golden/baseline.json`` in the
same commit (``make golden``). With the numpy and numba versions the baseline was made
with, the results must be identical to the last bit; with other versions, sums may be
reordered, so values must agree to a relative 1e-9.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("golden_baseline", HERE / "golden" / "baseline.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

COMMITTED = json.loads(golden.BASELINE.read_text(encoding="utf-8"))
SAME_VERSIONS = COMMITTED["made_with"] == {p: metadata.version(p) for p in ("numpy", "numba")}


def _assert_matches(name: str, fresh: dict[str, dict[str, str]]) -> None:
    expected = COMMITTED["runs"][name]
    assert sorted(fresh) == sorted(expected), f"{name}: arms or replicates changed"
    for key, values in expected.items():
        assert sorted(fresh[key]) == sorted(values), f"{name} {key}: metrics changed"
        for metric, want in values.items():
            got = fresh[key][metric]
            if SAME_VERSIONS:
                assert got == want, f"{name} {key} {metric}: {got} != {want} (make golden)"
            else:
                assert math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-12), (
                    f"{name} {key} {metric}: {got} != {want}"
                )


def test_every_scenario_file_is_in_the_baseline() -> None:
    names = [p.relative_to(golden.SCENARIOS).as_posix() for p in golden.scenario_files()]
    assert names == sorted(COMMITTED["runs"]), "scenario files added or removed: make golden"


@pytest.mark.parametrize("path", golden.scenario_files(), ids=lambda p: p.stem)
def test_scenario_matches_the_golden_baseline(path: Path) -> None:
    _assert_matches(path.relative_to(golden.SCENARIOS).as_posix(), golden.run_file(path))


def test_differences_name_every_changed_value() -> None:
    old = {"made_with": {"numpy": "1"}, "runs": {"a.toml": {"x/0": {"m": "1.0", "n": "2.0"}}}}
    new = {"made_with": {"numpy": "1"}, "runs": {"a.toml": {"x/0": {"m": "1.5", "n": "2.0"}}}}
    assert golden.differences(old, new) == ["a.toml x/0 m: 1.0 -> 1.5  (relative 5.0e-01)"]
    assert golden.differences(old, old) == []


# Run without compiling the kernels: the plain-Python kernels must give the same numbers.
JIT_FREE = ("mentorship_vs_peer_coaching.toml", "programmes/hybrid.toml")


def test_kernels_without_compilation_give_identical_results() -> None:
    script = str(HERE / "golden" / "baseline.py")
    code = (
        "import json, sys, importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('g', {script!r})\n"
        "g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)\n"
        f"names = {list(JIT_FREE)!r}\n"
        "json.dump({n: g.run_file(g.SCENARIOS / n) for n in names}, sys.stdout)\n"
    )
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    fresh = json.loads(proc.stdout)
    for name in JIT_FREE:
        _assert_matches(name, fresh[name])
