"""The notebooks in notebooks/ run top to bottom and produce their key outputs.

Each notebook is a jupytext percent-format ``.py`` file. The test converts it to a
notebook in memory, runs it headless with nbclient on an IPython kernel started with
this interpreter (so the kernel sees the same installed packages as the tests), in a
temporary working directory, and checks that every cell ran, that the key variables
exist and that figures and tables were displayed. Nothing is written into the
repository.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext", reason="needs the dev extras (jupytext)")
nbclient = pytest.importorskip("nbclient", reason="needs the dev extras (nbclient)")
nbformat = pytest.importorskip("nbformat", reason="needs the dev extras (nbformat)")
pytest.importorskip("ipykernel", reason="needs the dev extras (ipykernel)")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SCENARIOS = NOTEBOOKS.parent / "scenarios"
#: Seconds any one cell may take before the run is stopped as failed.
CELL_TIMEOUT = 300

#: Per notebook: variables the notebook must define, and how many figures it must show.
EXPECTED = {
    "hr_strategist": {
        "names": [
            "scenario",
            "results",
            "differences",
            "choice",
            "conclusion",
            "fitted",
            "optimised",
            "pilot",
        ],
        "min_figures": 3,
    },
    "educator": {
        "names": [
            "flagship",
            "distance",
            "capacity",
            "turnover",
            "hybrid",
            "hybrid_gain",
        ],
        "min_figures": 5,
    },
    "researcher": {
        "names": ["sweep", "timeseries", "runs", "manifest", "comparison", "indices", "found"],
        "min_figures": 3,
    },
}

#: Appended to each notebook: reports the interpreter and which expected names exist.
PROBE = """
import json as _json, sys as _sys
print("PROBE " + _json.dumps({
    "executable": _sys.executable,
    "prefix": _sys.prefix,
    "defined": sorted(n for n in NAMES if n in globals()),
}))
"""


def _kernel_manager(spec_dir: Path):
    """A kernel manager whose only kernel runs ipykernel on this interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    kernel = spec_dir / "wlsim-tests"
    kernel.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "wlsim tests",
        "language": "python",
    }
    (kernel / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(spec_dir)], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name="wlsim-tests", kernel_spec_manager=specs)


def _files() -> set[Path]:
    return {p for folder in (NOTEBOOKS, SCENARIOS) for p in folder.rglob("*")}


def _outputs(nb, keep: Callable[[dict], bool]) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if keep(o)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = NOTEBOOKS / f"{name}.py"
    nb = jupytext.read(source)
    names = EXPECTED[name]["names"]
    nb.cells.append(nbformat.v4.new_code_cell(PROBE.replace("NAMES", repr(names))))
    work = tmp_path / "work"
    work.mkdir()
    # The kernel inherits the environment: use the inline backend, as Jupyter does.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    # Temporary folders the notebook makes (the researcher's sweeps) go under tmp_path.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    before = _files()
    client = nbclient.NotebookClient(
        nb,
        km=_kernel_manager(tmp_path / "kernels"),
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(work)}},
    )
    t0 = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - t0
    print(f"{name}: {seconds:.1f} s")

    errors = _outputs(nb, lambda o: o.get("output_type") == "error")
    assert not errors, errors
    probe = [
        o["text"]
        for o in _outputs(nb, lambda o: o.get("name") == "stdout")
        if "PROBE " in o.get("text", "")
    ]
    assert probe, "the probe cell printed nothing"
    report = json.loads(probe[-1].split("PROBE ", 1)[1])
    # The kernel ran on this interpreter, in this environment (the venv).
    assert report["executable"] == sys.executable
    assert report["prefix"] == sys.prefix
    assert report["defined"] == sorted(names)
    figures = _outputs(nb, lambda o: "image/png" in o.get("data", {}))
    assert len(figures) >= EXPECTED[name]["min_figures"]
    tables = _outputs(nb, lambda o: "text/html" in o.get("data", {}))
    assert tables, "no table was displayed"
    sentences = _outputs(nb, lambda o: "text/markdown" in o.get("data", {}))
    assert sentences, "no conclusion was written from the numbers"
    # Nothing was written next to the notebooks or the scenarios.
    assert _files() == before


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_source_is_canonical(name: str) -> None:
    """Opening and saving a notebook with jupytext leaves its file unchanged (no noisy diffs)."""
    text = (NOTEBOOKS / f"{name}.py").read_text(encoding="utf-8")
    nb = jupytext.reads(text, fmt="py:percent")
    assert jupytext.writes(nb, fmt="py:percent") == text
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_every_notebook_is_tested() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.py")) == sorted(EXPECTED)
