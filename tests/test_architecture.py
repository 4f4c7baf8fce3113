"""The layer order of docs/architecture.md holds, and the check would catch a break.

The contracts live in pyproject.toml (``[tool.importlinter]``); ``make lint`` runs them
too. Here they run against the real package, and against copies of it with one upward
import or one circle added, which must be refused.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")


def _lint(package_parent: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=package_parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_package_keeps_every_layer_contract() -> None:
    proc = _lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verdicts = _verdicts(proc.stdout)
    assert len(verdicts) == 3 and set(verdicts.values()) == {"KEPT"}, proc.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # The model may not reach up into the experiments layer.
        ("sim/model/submodels/turnover.py", "import sim.experiments.run", "Layers"),
        # A submodel may not import the schedule that calls it (a circle, and upward).
        ("sim/model/submodels/engagement.py", "import sim.model.workplace", "No import circles"),
        # Base modules import nothing of wlsim's above them.
        ("sim/errors.py", "import sim.scenario.schema", "Layers"),
    ],
)
def test_an_upward_import_or_a_circle_is_refused(tmp_path, module, line, broken) -> None:
    shutil.copytree(ROOT / "sim", tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", "utf-8")
    proc = _lint(tmp_path)
    assert proc.returncode != 0, proc.stdout
    assert _verdicts(proc.stdout)[broken] == "BROKEN", proc.stdout


def _verdicts(report: str) -> dict[str, str]:
    """Contract name -> KEPT or BROKEN, from lint-imports' summary."""
    out = {}
    for line in report.splitlines():
        name, _, verdict = line.strip().rpartition(" ")
        if name and verdict in ("KEPT", "BROKEN"):
            out[name] = verdict
    return out
