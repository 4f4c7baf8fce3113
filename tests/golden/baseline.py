"""The golden baseline: fixed-seed results of every scenario in ``scenarios/``.

Each scenario file runs every arm for two replicates on a small organisation and a short
horizon; the final week's value of every metric is kept at full precision (``repr`` of
the float), with the numpy and numba versions it was made with. ``tests/test_golden.py``
compares a fresh run against the committed file; a change of model behaviour on purpose
updates the file in the same commit, so a reviewer sees what moved.

Regenerate and see what changed::

    make golden            # or: python tests/golden/baseline.py --update

Without ``--update`` the command only reports the differences (exit 1 if any).
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
BASELINE = Path(__file__).resolve().parent / "baseline.json"
N_EMPLOYEES = 120
WEEKS = 20
REPLICATES = 2
# Files whose workforce comes from an HR export keep that export's size.
FROM_DATA = {"from_data.toml"}


def scenario_files() -> list[Path]:
    """Every scenario file under ``scenarios/``, sorted."""
    return sorted(SCENARIOS.rglob("*.toml"))


def overrides(path: Path) -> list[str]:
    """The ``--set`` overrides that make a scenario small and short."""
    sets = [f"horizon_weeks={WEEKS}", "organisation.dur_burn_in_weeks=0"]
    if path.name not in FROM_DATA:
        sets.append(f"organisation.n_employees={N_EMPLOYEES}")
    return sets


def run_file(path: Path) -> dict[str, dict[str, str]]:
    """Final-week metrics of every arm and replicate of one scenario file.

    Returns:
        ``{"arm/replicate": {metric: repr(value)}}``.
    """
    import sim

    scenario = sim.load_scenario(path, overrides(path))
    results = sim.run_scenario(scenario, replicates=REPLICATES, progress=False)
    ts = results.timeseries
    final = ts[ts["week"] == ts["week"].max()]
    out: dict[str, dict[str, str]] = {}
    skip = {"arm", "replicate", "seed", "week"}
    for row in final.to_dict("records"):
        key = f"{row['arm']}/{row['replicate']}"
        out[key] = {k: repr(float(v)) for k, v in sorted(row.items()) if k not in skip}
    return out


def generate() -> dict[str, object]:
    """Run every scenario and return the baseline as a JSON-ready dict."""
    runs = {}
    for path in scenario_files():
        runs[path.relative_to(SCENARIOS).as_posix()] = run_file(path)
    return {
        "made_with": {pkg: metadata.version(pkg) for pkg in ("numpy", "numba")},
        "settings": {"n_employees": N_EMPLOYEES, "weeks": WEEKS, "replicates": REPLICATES},
        "runs": runs,
    }


def differences(old: dict, new: dict) -> list[str]:
    """Human-readable lines for every value that differs between two baselines."""
    lines = []
    if old.get("made_with") != new.get("made_with"):
        lines.append(f"made with {old.get('made_with')} -> {new.get('made_with')}")
    old_runs, new_runs = old.get("runs", {}), new.get("runs", {})
    for name in sorted(set(old_runs) | set(new_runs)):
        if name not in new_runs or name not in old_runs:
            lines.append(f"{name}: {'removed' if name not in new_runs else 'added'}")
            continue
        a, b = old_runs[name], new_runs[name]
        for key in sorted(set(a) | set(b)):
            va, vb = a.get(key, {}), b.get(key, {})
            for metric in sorted(set(va) | set(vb)):
                x, y = va.get(metric), vb.get(metric)
                if x != y:
                    rel = ""
                    if x is not None and y is not None and float(x) != 0:
                        rel = f"  (relative {abs(float(y) - float(x)) / abs(float(x)):.1e})"
                    lines.append(f"{name} {key} {metric}: {x} -> {y}{rel}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Regenerate the baseline (``--update``) or report how a fresh run differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="write the new baseline")
    args = parser.parse_args(argv)
    new = generate()
    old = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}
    changed = differences(old, new)
    for line in changed:
        print(line)
    print(f"{len(changed)} difference(s) from {BASELINE.relative_to(ROOT)}")
    if args.update:
        tmp = BASELINE.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(BASELINE)
        print(f"wrote {BASELINE.relative_to(ROOT)}")
        return 0
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
