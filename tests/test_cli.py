"""End-to-end tests of the ``wlsim`` command line, called in-process through ``main``."""

from __future__ import annotations

import io
import json
import platform
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import sim
from sim.app.cli import main
from sim.provenance import wlsim_version

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
FLAGSHIP = SCENARIOS / "mentorship_vs_peer_coaching.toml"
FLAGSHIP_ARMS = ["no_programme", "mentorship", "peer_coaching", "both"]
HORIZON = 8

#: Options that make any shipped scenario run in well under a second.
SMALL = [
    "--set",
    "organisation.n_employees=60",
    "--set",
    f"horizon_weeks={HORIZON}",
    "--replicates",
    "2",
    "--no-progress",
]
SMALL_OVERRIDES = ["organisation.n_employees=60", f"horizon_weeks={HORIZON}", "replicates=2"]
FIGURES = {
    "skill_diffusion.png",
    "retention.png",
    "engagement.png",
    "skill_by_domain.png",
    "skill_by_level.png",
    "skill_distribution.png",
    "survival.png",
    "learning.png",
}
ID_COLUMNS = ["arm", "replicate", "seed", "week"]


def run_main(argv: list[str]) -> SimpleNamespace:
    """Call ``main`` and capture what it prints (usable outside function-scoped capsys)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return SimpleNamespace(code=code, out=out.getvalue(), err=err.getvalue())


def assert_nothing_written(folder: Path) -> None:
    assert not (folder / "results").exists()
    assert not list(folder.rglob("*partial*"))


@pytest.fixture(scope="module")
def flagship_run(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """One small run of the flagship scenario, with figures, shared by the tests below."""
    out = tmp_path_factory.mktemp("flagship") / "out"
    result = run_main(["run", str(FLAGSHIP), *SMALL, "--out", str(out)])
    result.folder = out
    return result


# --- help and entry points -------------------------------------------------------------


def test_top_level_help_names_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "run" in out
    assert "validate" in out


def test_run_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    for option in (
        "--set PATH=VALUE",
        "--arm NAME",
        "--replicates N",
        "--seed S",
        "--out DIR",
        "--overwrite",
        "--no-figures",
        "--no-progress",
    ):
        assert option in out, option
    assert "results/<scenario name>" in out


def test_validate_help_explains_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--set PATH=VALUE" in out
    assert "FILE" in out


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("wlsim ")


def test_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "usage: wlsim" in err
    assert "Traceback" not in err


def test_python_dash_m_sim_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage: wlsim" in proc.stdout
    assert "validate" in proc.stdout


def test_wlsim_console_script_validates_and_fails_cleanly(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("wlsim")
    exe = str(script) if script.exists() else shutil.which("wlsim")
    assert exe, "the wlsim console script is not installed"
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nhorizon_weeks = 0\n', encoding="utf-8")
    proc = subprocess.run(
        [exe, "validate", str(BASELINE), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert f"{BASELINE}: ok" in proc.stdout
    assert "horizon_weeks = 0" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- a successful run --------------------------------------------------------------------


def test_run_succeeds_and_prints_a_table(flagship_run: SimpleNamespace) -> None:
    assert flagship_run.code == 0, flagship_run.err
    assert "Traceback" not in flagship_run.err
    out = flagship_run.out
    for arm in FLAGSHIP_ARMS:
        assert arm in out
    assert "mean_skill" in out
    assert "4 arms x 2 replicates, 8 weeks, 60 employees" in out
    assert f"Results written to {flagship_run.folder}/" in out


def test_run_writes_every_result_file(flagship_run: SimpleNamespace) -> None:
    folder = flagship_run.folder
    assert {p.name for p in folder.iterdir()} == {
        "timeseries.parquet",
        "summary.csv",
        "survival.parquet",
        "effects.csv",  # effect sizes against the no_programme arm
        "cohort.parquet",  # the initial cohort at the snapshot weeks
        "figures",
        "report.html",
        "scenario.resolved.toml",
        "metadata.json",
        ".wlsim",  # the marker: --overwrite replaces only folders that have it
    }
    assert {p.name for p in (folder / "figures").iterdir()} == FIGURES
    for png in (folder / "figures").iterdir():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(folder.parent.glob("*partial*"))


def test_timeseries_is_tidy(flagship_run: SimpleNamespace) -> None:
    ts = pd.read_parquet(flagship_run.folder / "timeseries.parquet")
    assert list(ts.columns[:4]) == ID_COLUMNS
    assert len(ts) == len(FLAGSHIP_ARMS) * 2 * (HORIZON + 1)
    assert not ts.duplicated(["arm", "replicate", "week"]).any()
    assert list(dict.fromkeys(ts["arm"])) == FLAGSHIP_ARMS
    assert set(ts["replicate"]) == {0, 1}
    assert sorted(set(ts["week"])) == list(range(HORIZON + 1))
    metrics = ts.columns[4:]
    assert "mean_skill" in metrics
    assert all(pd.api.types.is_numeric_dtype(ts[m]) for m in metrics)
    assert (ts["headcount"] == 60).all()  # --set organisation.n_employees=60 was applied


def test_summary_has_mean_sd_n_and_ci_per_arm_and_metric(flagship_run: SimpleNamespace) -> None:
    summary = pd.read_csv(flagship_run.folder / "summary.csv")
    ts = pd.read_parquet(flagship_run.folder / "timeseries.parquet")
    assert list(summary.columns) == ["arm", "metric", "mean", "sd", "n", "ci_low", "ci_high"]
    assert not summary.duplicated(["arm", "metric"]).any()
    # Effect sizes (effects.csv) are summarised too, as metrics of their own.
    effect = summary["metric"].str.match(r"(d|risk_ratio|diff)_")
    assert effect.any()
    summary = summary[~effect]
    assert set(summary["arm"]) == set(FLAGSHIP_ARMS)
    assert set(summary["metric"]) == set(ts.columns[4:])
    # n counts the replicates where the metric is defined (e.g. no participants: NaN).
    last = ts[ts["week"] == HORIZON]
    defined = last.drop(columns=["replicate", "seed", "week"]).groupby("arm").count()
    n = summary.pivot(index="arm", columns="metric", values="n")
    pd.testing.assert_frame_equal(n.loc[defined.index, defined.columns], defined, check_names=False)
    finite = summary.dropna(subset=["ci_low", "ci_high"])
    assert len(finite) > 0
    assert (finite["ci_low"] <= finite["mean"] + 1e-12).all()
    assert (finite["mean"] <= finite["ci_high"] + 1e-12).all()
    expected = last.groupby("arm")["mean_skill"].mean()
    got = summary[summary["metric"] == "mean_skill"].set_index("arm")["mean"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_resolved_scenario_loads_back_to_an_equal_scenario(
    flagship_run: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    resolved = flagship_run.folder / "scenario.resolved.toml"
    expected = sim.load_scenario(FLAGSHIP, SMALL_OVERRIDES)
    assert sim.load_scenario(resolved) == expected
    assert main(["validate", str(resolved)]) == 0
    assert f"{resolved}: ok" in capsys.readouterr().out


def test_metadata_records_provenance(flagship_run: SimpleNamespace) -> None:
    meta = json.loads((flagship_run.folder / "metadata.json").read_text())
    assert meta["wlsim_version"] == wlsim_version()
    assert meta["git_commit"] is None or isinstance(meta["git_commit"], str)
    assert meta["seed"] == 20261127
    assert meta["python"] == platform.python_version()
    assert meta["packages"]["numpy"] == np.__version__
    assert meta["packages"]["pandas"] == pd.__version__
    import numba

    assert meta["packages"]["numba"] == numba.__version__  # compiled kernels shape results
    assert meta["arms"] == FLAGSHIP_ARMS
    assert meta["replicates"] == 2
    assert meta["wall_time_seconds"] >= 0
    assert datetime.fromisoformat(meta["started_utc"]).utcoffset().total_seconds() == 0


def test_default_results_folder_is_named_after_the_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(BASELINE), *SMALL, "--no-figures"]) == 0
    folder = tmp_path / "results" / "baseline"
    assert (folder / "timeseries.parquet").is_file()
    assert not (folder / "figures").exists()  # --no-figures
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["baseline"]
    assert "Results written to results/baseline/" in capsys.readouterr().out


def test_arm_option_runs_only_those_arms_once_in_the_given_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["run", str(FLAGSHIP), *SMALL, "--no-figures", "--out", str(out)]
    assert (
        main([*argv, "--arm", "peer_coaching", "--arm", "no_programme", "--arm", "peer_coaching"])
        == 0
    )
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(dict.fromkeys(ts["arm"])) == ["peer_coaching", "no_programme"]
    assert len(ts) == 2 * 2 * (HORIZON + 1)
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["arms"] == ["peer_coaching", "no_programme"]
    assert "2 arms x 2 replicates" in capsys.readouterr().out


def test_every_arm_uses_the_same_seeds(tmp_path: Path, write_scenario) -> None:
    # Two arms that differ only in name must give identical results, replicate by replicate.
    path = write_scenario(
        "[arms.first]\nprogrammes = []\n[arms.second]\nprogrammes = []\n", name="twins.toml"
    )
    out = tmp_path / "out"
    code = run_main(["run", str(path), *SMALL, "--no-figures", "--out", str(out)]).code
    assert code == 0
    ts = pd.read_parquet(out / "timeseries.parquet")
    first = ts[ts["arm"] == "first"].drop(columns="arm").reset_index(drop=True)
    second = ts[ts["arm"] == "second"].drop(columns="arm").reset_index(drop=True)
    assert len(first) == 2 * (HORIZON + 1)
    pd.testing.assert_frame_equal(first, second)


def test_same_seed_gives_identical_timeseries(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = run_main(["run", str(FLAGSHIP), *SMALL, "--no-figures", "--out", str(out)])
        assert result.code == 0, result.err
        runs.append(out / "timeseries.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(runs[0]), pd.read_parquet(runs[1]))
    assert runs[0].read_bytes() == runs[1].read_bytes()
    summaries = [p.with_name("summary.csv").read_bytes() for p in runs]
    assert summaries[0] == summaries[1]


def test_seed_option_changes_the_results_and_is_recorded(
    tmp_path: Path, flagship_run: SimpleNamespace
) -> None:
    out = tmp_path / "out"
    result = run_main(
        ["run", str(FLAGSHIP), *SMALL, "--seed", "7", "--no-figures", "--out", str(out)]
    )
    assert result.code == 0, result.err
    assert "seed 7" in result.out
    assert json.loads((out / "metadata.json").read_text())["seed"] == 7
    assert sim.load_scenario(out / "scenario.resolved.toml").seed == 7
    ts = pd.read_parquet(out / "timeseries.parquet")
    reference = pd.read_parquet(flagship_run.folder / "timeseries.parquet")
    assert (ts["seed"] == 7).all()
    assert not ts["mean_engagement"].equals(reference["mean_engagement"])


def test_existing_results_folder_is_refused_without_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["run", str(BASELINE), *SMALL, "--no-figures", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert str(out) in captured.err
    assert "already exists" in captured.err
    assert "--overwrite" in captured.err
    assert "Traceback" not in captured.err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert not list(tmp_path.glob("*partial*"))


def test_overwrite_replaces_the_results_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["run", str(BASELINE), *SMALL, "--no-figures", "--out", str(out)]
    assert run_main(argv).code == 0
    (out / "stale.txt").write_text("old")
    assert run_main([*argv, "--overwrite"]).code == 0
    assert not (out / "stale.txt").exists()
    assert (out / "timeseries.parquet").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no .old or .partial left


def test_bad_input_with_overwrite_leaves_the_existing_folder_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    argv = ["run", str(BASELINE), *SMALL, "--set", "horizon_weeks=0", "--out", str(out)]
    assert main([*argv, "--overwrite"]) == 2
    assert "horizon_weeks = 0" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_interrupt_exits_130_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.experiments.run.run_scenario", interrupted)
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(BASELINE), *SMALL]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err
    assert "Traceback" not in err
    assert_nothing_written(tmp_path)


def test_main_leaves_signals_as_it_found_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    from sim.app import cli

    seen = {}

    def dispatch(args):
        seen.update({sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)})
        return 0

    monkeypatch.setattr(cli, "_dispatch", dispatch)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as in a background job
    try:
        assert cli.main(["run", str(BASELINE)]) == 0
        assert seen[signal.SIGINT] is signal.SIG_IGN  # an ignored SIGINT stays ignored
        assert seen[signal.SIGTERM] is cli._raise_interrupt
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) == handlers[signal.SIGTERM]
    finally:
        signal.signal(signal.SIGINT, previous_int)


def test_a_signal_while_the_kernels_load_stops_the_run_once_they_are_loaded(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Loading a kernel calls Python back from llvmlite through ctypes, which would
    # swallow a KeyboardInterrupt raised there: a signal is only noted until every
    # kernel is loaded, then stops the run before it starts.
    import os
    import signal

    import sim.model.warmup
    from sim.app import cli

    loaded = []

    def load_kernels():
        os.kill(os.getpid(), signal.SIGTERM)  # noted: nothing happens yet
        loaded.append(True)

    def dispatch(args):
        pytest.fail("the run started after an interrupt")

    monkeypatch.setattr(sim.model.warmup, "load_kernels", load_kernels)
    monkeypatch.setattr(cli, "_dispatch", dispatch)
    handler = signal.getsignal(signal.SIGTERM)
    assert cli.main(["run", str(BASELINE)]) == 130
    assert loaded == [True]
    assert "interrupted" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) == handler


def test_without_numba_help_works_and_run_says_what_to_install(tmp_path: Path) -> None:
    import os

    import sim

    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "numba.py").write_text("raise ImportError(\"No module named 'numba'\")\n")
    source = str(Path(sim.__file__).resolve().parent.parent)  # this checkout's sim
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), source])}

    def wlsim(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "sim", *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)

    probe = "import sim, sim.app.cli; print(sim.__file__)"
    imported = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(source)
    assert wlsim("--help").returncode == 0
    proc = wlsim("run", str(BASELINE), *SMALL, "--out", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 1, proc.stderr
    assert "wlsim needs numba" in proc.stderr
    assert "pip install" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_write_failure_exits_1_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("sim.experiments.output.write_results", disk_full)
    out = tmp_path / "out"
    assert main(["run", str(BASELINE), *SMALL, "--no-figures", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write the results to {out}" in err
    assert "No space left on device" in err
    assert "Traceback" not in err


# --- validate ------------------------------------------------------------------------------


def test_validate_accepts_every_shipped_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(SCENARIOS.glob("*.toml"))
    assert len(files) >= 3
    assert main(["validate", *map(str, files)]) == 0
    out = capsys.readouterr().out
    for path in files:
        assert f"{path}: ok" in out


def test_validate_checks_every_file_and_reports_each_failure(
    write_scenario, capsys: pytest.CaptureFixture[str]
) -> None:
    bad1 = write_scenario("horizon_weeks = 0\n", name="bad1.toml")
    bad2 = write_scenario("[turnover]\np_quit_per_week = 2.0\n", name="bad2.toml")
    assert main(["validate", str(bad1), str(BASELINE), str(bad2)]) == 2
    captured = capsys.readouterr()
    assert f"{BASELINE}: ok" in captured.out
    assert f"{bad1}: invalid scenario" in captured.err
    assert f"{bad2}: invalid scenario" in captured.err
    assert "Traceback" not in captured.err


def test_validate_applies_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BASELINE), "--set", "replicates=3"]) == 0
    assert "3 replicates" in capsys.readouterr().out


# --- programmes -----------------------------------------------------------------------------


def _component_row(out: str, component: str) -> list[str]:
    """The cells (component, value, set by, unit) of one component's line."""
    lines = out.splitlines()
    header = next(line for line in lines if line.split()[:2] == ["component", "value"])
    starts = [header.index(word) for word in ("component", "value", "set by", "unit")]
    for line in lines:
        if line.split()[:1] == [component]:
            bounds = zip(starts, [*starts[1:], None], strict=True)
            return [line[a:b].strip() for a, b in bounds]
    raise AssertionError(f"no line for {component!r} in:\n{out}")


def test_programmes_lists_every_design_with_its_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from sim.scenario.designs import DESIGNS

    assert main(["programmes"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert len(DESIGNS) == 12
    for name, design in DESIGNS.items():
        assert any(
            line.startswith(name + " ") and line.endswith(design.summary) for line in lines
        ), name


def test_programmes_name_shows_the_design_values_with_units(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from sim.scenario.designs import DESIGNS

    assert main(["programmes", "mentorship"]) == 0
    out = capsys.readouterr().out
    assert DESIGNS["mentorship"].summary in out
    assert _component_row(out, "n_learners_per_guide_max") == [
        "n_learners_per_guide_max",
        "2",
        "design",
        "learners per guide",
    ]
    assert _component_row(out, "focus_domains")[1:3] == ['["leadership", "domain"]', "design"]
    # A component the design leaves alone shows the general default and says so.
    assert _component_row(out, "p_enrol") == ["p_enrol", "0.3", "default", "probability"]
    assert "kind" not in [line.split()[0] for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize("kind", ["peer_coaching", "mentor_shadowing", "skill_pods"])
def test_programmes_values_are_the_resolved_values_of_the_design(
    kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.scenario.designs import DESIGNS
    from sim.scenario.schema import Programme

    assert main(["programmes", kind]) == 0
    out = capsys.readouterr().out
    resolved = Programme(kind=kind)
    preset = DESIGNS[kind].preset
    fields = [f for f in Programme.model_fields if f != "kind"]
    for field in fields:
        _, shown, source, unit = _component_row(out, field)
        assert source == ("design" if field in preset else "default"), field
        assert unit == Programme.model_fields[field].json_schema_extra["unit"], field
        value = getattr(resolved, field)
        if isinstance(value, tuple):
            assert shown == json.dumps(list(value)), field  # as written in a scenario file
        elif isinstance(value, str):
            assert shown == f'"{value}"', field
        elif isinstance(value, bool):
            assert shown == str(value).lower(), field
        else:
            assert float(shown) == pytest.approx(float(value)), field


def test_programmes_parameters_shows_every_design(capsys: pytest.CaptureFixture[str]) -> None:
    from sim.scenario.designs import DESIGNS

    assert main(["programmes", "--parameters"]) == 0
    out = capsys.readouterr().out
    for name, design in DESIGNS.items():
        assert f"{name}: {design.summary}" in out
    assert out.count("n_learners_per_guide_max") == len(DESIGNS)


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("mentorshp", "mentorship"), ("peer-coaching", "peer_coaching")],
)
def test_programmes_unknown_name_exits_2_with_a_suggestion(
    name: str, suggestion: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.scenario.designs import DESIGNS

    assert main(["programmes", name]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"wlsim: error: unknown programme design {name!r}")
    assert f"did you mean {suggestion!r}" in captured.err
    assert ", ".join(DESIGNS) in captured.err
    assert "Traceback" not in captured.err


def test_programmes_unknown_name_without_a_close_match(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["programmes", "zzz"]) == 2
    err = capsys.readouterr().err
    assert "unknown programme design 'zzz'" in err
    assert "did you mean" not in err
    assert "mentorship" in err


def test_programmes_appears_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "programmes" in capsys.readouterr().out
    assert main(["programmes", "--help"]) == 0
    out = capsys.readouterr().out
    assert "NAME" in out
    assert "--parameters" in out


# --- bad input: the cases are in tests/hostile/scenario.py (the hostile-input catalogue)


def test_results_folder_is_readable_by_others(tmp_path):
    import os
    import stat

    from sim.experiments.output import write_results
    from sim.experiments.run import run_scenario
    from sim.scenario.loading import load_scenario

    flagship = Path(__file__).parent.parent / "scenarios" / "baseline.toml"
    scenario = load_scenario(flagship, ["organisation.n_employees=40", "horizon_weeks=2"])
    results = run_scenario(scenario, replicates=1, progress=False)
    old = os.umask(0o022)
    try:
        out = write_results(results, tmp_path / "res", figures=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755


def test_report_is_self_contained_html(flagship_run: SimpleNamespace) -> None:
    text = (flagship_run.folder / "report.html").read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert "Paired differences from no_programme" in text
    assert text.count("data:image/png;base64,") >= 12  # figures and networks embedded
    assert "http://" not in text and "https://" not in text  # nothing fetched
    assert "[programmes.mentorship]" in text  # the scenario as run
    assert "Learning from others: informal versus programmes" in text
    assert "awaiting calibration" in text
    assert "advice ties" in text  # the network figures' note says how they are drawn


def test_report_command_rewrites_the_report(tmp_path, capsys) -> None:
    import shutil

    folder = tmp_path / "copy"
    src = Path(__file__).parent.parent / "scenarios" / "baseline.toml"
    assert (
        main(
            [
                "run",
                str(src),
                "--set",
                "organisation.n_employees=40",
                "--set",
                "horizon_weeks=4",
                "--replicates",
                "2",
                "--out",
                str(folder),
                "--no-progress",
                "--no-report",
            ]
        )
        == 0
    )
    assert not (folder / "report.html").exists()
    assert main(["report", str(folder), "--no-network"]) == 0
    assert "Report written to" in capsys.readouterr().out
    assert "Skill diffusion" in (folder / "report.html").read_text()
    shutil.rmtree(folder / "figures")
    assert main(["report", str(tmp_path / "nothing")]) == 2


# --- wlsim patterns -----------------------------------------------------------------------


def _fake_patterns(monkeypatch: pytest.MonkeyPatch, verdicts: dict[str, bool]) -> list[dict]:
    """Replace the validation patterns by instant ones with the given verdicts; return the
    calls they receive (their replicates and overrides)."""
    from sim.experiments import validation

    calls: list[dict] = []

    def make(key: str, passed: bool):
        def pattern(replicates: int = 3, overrides=None) -> validation.Finding:
            calls.append({"key": key, "replicates": replicates, "overrides": overrides})
            return validation.Finding(
                key, f"Pattern {key}", "a source", f"criterion of {key}", "measured 1.0", passed
            )

        return pattern

    monkeypatch.setattr(
        validation, "PATTERNS", {k: make(k, v) for k, v in verdicts.items()}, raising=True
    )
    return calls


def test_patterns_exits_0_when_every_pattern_holds_and_1_when_one_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = _fake_patterns(monkeypatch, {"good": True, "bad": False})
    assert main(["patterns", "good"]) == 0
    out = capsys.readouterr().out
    assert "ok  good: Pattern good" in out and "criterion of good" in out
    assert "1 of 1 patterns hold" in out
    assert main(["patterns"]) == 1
    out = capsys.readouterr().out
    assert "NO  bad: Pattern bad" in out and "not holding: bad" in out
    assert main(["patterns", "bad", "--replicates", "5"]) == 1
    assert calls[-1]["replicates"] == 5


def test_patterns_pass_the_overrides_to_every_pattern(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = _fake_patterns(monkeypatch, {"a": True, "b": True})
    argv = ["patterns", "--set", "learning.rate_session_per_hour=0.5"]
    assert main([*argv, "--set", "programmes.*.sponsorship_per_session=0"]) == 0
    assert [c["key"] for c in calls] == ["a", "b"]
    for call in calls:
        assert call["overrides"].general[0][:2] == ("learning.rate_session_per_hour", 0.5)
        assert call["overrides"].programme[0][:2] == ("sponsorship_per_session", 0)
    assert "under --set" not in capsys.readouterr().err


def test_patterns_overrides_reach_every_run_of_a_real_pattern(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--set` reaches every scenario a pattern builds, in every arm and replicate, and
    programmes.*.FIELD every programme it builds."""
    from sim.experiments import validation

    seen = []
    real = validation.WorkplaceModel

    def spy(sc, arm, replicate):
        seen.append((sc.learning.rate_session_per_hour, sc.organisation.n_employees))
        seen.extend(("sponsorship", p.sponsorship_per_session) for p in sc.programmes.values())
        return real(sc, arm=arm, replicate=replicate)

    monkeypatch.setattr(validation, "WorkplaceModel", spy)
    argv = ["patterns", "transfer", "--replicates", "2", "--set", "organisation.n_employees=60"]
    code = main(
        [
            *argv,
            "--set",
            "learning.rate_session_per_hour=0.5",
            "--set",
            "programmes.*.sponsorship_per_session=0.2",
        ]
    )
    assert code in (0, 1)
    assert len(seen) >= 4
    assert {s for s in seen if s[0] != "sponsorship"} == {(0.5, 60)}
    assert {s for s in seen if s[0] == "sponsorship"} == {("sponsorship", 0.2)}
    assert "transfer: Coaching raises transfer" in capsys.readouterr().out


def test_patterns_own_design_wins_over_an_override_and_says_so() -> None:
    from sim.experiments import validation

    ov = validation.Overrides.parse(
        ["programmes.*.p_enrol=0.2", "programmes.*.relationship_failure=false"]
    )
    sc = validation._scenario(
        programmes={"a": {"kind": "mentorship", "p_enrol": 0.9}, "b": {"kind": "peer_coaching"}},
        arms={"control": {}},
        overrides=ov,
    )
    assert sc.programmes["a"].p_enrol == 0.9 and sc.programmes["b"].p_enrol == 0.2
    assert not sc.programmes["a"].relationship_failure
    assert ov.shadowed == {"programmes.*.p_enrol=0.2"}


def test_patterns_refuse_bad_input_before_running(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = _fake_patterns(monkeypatch, {"forgetting": True})
    assert main(["patterns", "forgeting", "--set", "learning.rate_session_per_hour=0"]) == 2
    err = capsys.readouterr().err
    assert "wlsim: error: unknown pattern 'forgeting' (did you mean 'forgetting'?)" in err
    assert main(["patterns", "--set", "learning.rate_session_per_hour=2"]) == 2
    assert "from --set learning.rate_session_per_hour=2" in capsys.readouterr().err
    assert calls == []


def test_a_stop_signal_that_lands_in_a_finalizer_is_sent_again(monkeypatch):
    # Python ignores an exception raised in __del__: a Ctrl-C landing in one (pyarrow's
    # ParquetWriter closing after a sweep writes a part) must not be lost.
    import os
    import signal
    import threading

    from sim.app import cli

    sent = threading.Event()
    resent: list[tuple[int, int]] = []

    def kill(pid: int, signum: int) -> None:
        resent.append((pid, signum))
        sent.set()

    monkeypatch.setattr(os, "kill", kill)

    class Closing:
        def __del__(self) -> None:
            cli._raise_interrupt(signal.SIGINT, sys._getframe())  # returns: no exception

    Closing()  # dropped at once: its __del__ runs here
    assert sent.wait(5)
    assert resent == [(os.getpid(), signal.SIGINT)]
    with pytest.raises(KeyboardInterrupt):  # outside a finalizer it stops at once
        cli._raise_interrupt(signal.SIGINT, sys._getframe())
