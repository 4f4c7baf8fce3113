"""Nothing lost, everything reproducible: reruns, killed processes, full disks, and
property-based checks that no valid scenario produces NaN, out-of-range skills or a
shrinking workforce."""

from __future__ import annotations

import errno
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.app.cli import main
from sim.errors import ScenarioError
from sim.experiments import rerun as rerun_module
from sim.model.workplace import WorkplaceModel
from sim.scenario.designs import DESIGNS
from sim.scenario.loading import validate_scenario

ROOT = Path(__file__).parent.parent
FLAGSHIP = ROOT / "scenarios" / "mentorship_vs_peer_coaching.toml"
SMALL = ["--set", "organisation.n_employees=100", "--set", "horizon_weeks=10", "--replicates", "2"]
FILES = [
    "timeseries.parquet",
    "summary.csv",
    "survival.parquet",
    "report.html",
    "scenario.resolved.toml",
    "metadata.json",
]


def run_small(out: Path, *extra: str) -> int:
    return main(["run", str(FLAGSHIP), *SMALL, "--out", str(out), "--no-progress", *extra])


def test_rerun_reproduces_the_results_byte_for_byte(tmp_path, capsys):
    assert run_small(tmp_path / "a") == 0
    assert main(["rerun", str(tmp_path / "a"), "--no-progress"]) == 0
    assert "results identical" in capsys.readouterr().out
    for name in ("timeseries.parquet", "summary.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "a-rerun" / name).read_bytes()


def test_rerun_warns_when_the_code_version_differs(tmp_path, capsys):
    assert run_small(tmp_path / "a") == 0
    meta_path = tmp_path / "a" / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["wlsim_version"] = "0.0.1"
    meta_path.write_text(json.dumps(meta))
    assert main(["rerun", str(tmp_path / "a"), "--no-progress"]) == 0
    assert "warning: wlsim version differs" in capsys.readouterr().err


def test_rerun_reports_results_that_differ(tmp_path, capsys):
    assert run_small(tmp_path / "a") == 0
    ts = pd.read_parquet(tmp_path / "a" / "timeseries.parquet")
    ts.loc[0, "mean_skill"] += 0.01
    ts.to_parquet(tmp_path / "a" / "timeseries.parquet", index=False)
    assert main(["rerun", str(tmp_path / "a"), "--no-progress"]) == 1
    assert "timeseries.parquet" in capsys.readouterr().err


def test_rerun_of_a_folder_that_is_not_results_is_refused(tmp_path, capsys):
    assert main(["rerun", str(tmp_path)]) == 2
    assert "not a complete results folder" in capsys.readouterr().err


def fake_results(folder: Path, skip: tuple[str, ...] = (), **files: bytes) -> Path:
    """A results folder as wlsim run writes it, without running: small stand-in files."""
    from sim.scenario.loading import dump_scenario, load_scenario

    folder.mkdir()
    contents = {
        "metadata.json": b'{"arms": ["no_programme"]}',
        "scenario.resolved.toml": dump_scenario(load_scenario(FLAGSHIP)).encode(),
        "timeseries.parquet": b"PAR1",
        "summary.csv": b"arm\n",
        **files,
    }
    for name, data in contents.items():
        if name not in skip:
            (folder / name).write_bytes(data)
    return folder


@pytest.fixture
def no_runs(monkeypatch):
    """Fail the test if a rerun starts running: every refusal must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("the rerun ran before refusing")

    monkeypatch.setattr(rerun_module, "run_scenario", refuse)


def rerun_message(folder: Path, **kwargs) -> str:
    with pytest.raises(ScenarioError) as info:
        rerun_module.rerun(folder, **kwargs)
    return str(info.value)


@pytest.mark.parametrize("missing", ["timeseries.parquet", "summary.csv", "metadata.json"])
def test_rerun_refuses_a_folder_with_nothing_to_compare(tmp_path, no_runs, missing):
    folder = fake_results(tmp_path / "a", skip=(missing,))
    text = rerun_message(folder)
    assert f"{folder}: not a complete results folder: no {missing}" in text
    assert "run the scenario again with wlsim run" in text
    assert not (tmp_path / "a-rerun").exists()


def test_rerun_refuses_an_existing_output_folder_before_running(tmp_path, no_runs):
    folder = fake_results(tmp_path / "a")
    (tmp_path / "a-rerun").mkdir()
    text = rerun_message(folder)
    assert f"--out {tmp_path / 'a-rerun'}: the results folder already exists" in text
    assert "--overwrite" in text


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'{"arms": ["no_programme"', ["not valid JSON", "line 1, column 25"]),
        (b"", ["not valid JSON", "line 1, column 1"]),
        (b'["no_programme"]', ["expected a JSON object", "found an array"]),
        (b"3", ["expected a JSON object", "found a number"]),
        (b"null", ["expected a JSON object", "found null"]),
        (b'{"x": "\xe9"}', ["not UTF-8 text (byte 7)"]),
        (b"[" * 100_000, ["not valid metadata (nested too deeply)"]),
    ],
)
def test_rerun_refuses_damaged_metadata(tmp_path, no_runs, data, words):
    folder = fake_results(tmp_path / "a", **{"metadata.json": data})
    text = rerun_message(folder)
    assert text.startswith(f"{folder / 'metadata.json'}: ")
    assert "the results folder is damaged" in text
    for word in words:
        assert word in text


@pytest.mark.parametrize(
    ("arms", "words"),
    [
        ('"no_programme"', ['arms = "no_programme"', "expected a list of arm names"]),
        ("[1]", ["arms = [1]", "expected a list of arm names"]),
        ('["gone"]', ["['gone'] not in the folder's scenario.resolved.toml", "no_programme"]),
    ],
)
def test_rerun_refuses_recorded_arms_its_scenario_does_not_have(tmp_path, no_runs, arms, words):
    folder = fake_results(tmp_path / "a", **{"metadata.json": f'{{"arms": {arms}}}'.encode()})
    text = rerun_message(folder)
    assert text.startswith(f"{folder / 'metadata.json'}: ")
    for word in words:
        assert word in text


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"name = = 3\n", ["TOML syntax error"]),
        (b'name = "caf\xe9"\n', ["not UTF-8 text"]),
        (b'name = "a/b"\n', ["name = 'a/b'"]),
    ],
)
def test_rerun_refuses_a_damaged_resolved_scenario(tmp_path, no_runs, data, words):
    folder = fake_results(tmp_path / "a", **{"scenario.resolved.toml": data})
    text = rerun_message(folder)
    assert text.startswith(f"{folder / 'scenario.resolved.toml'}: ")
    assert f"{folder}: the results folder's scenario cannot be read" in text
    for word in words:
        assert word in text


@pytest.mark.parametrize("given", [".", "a/.."])
def test_rerun_of_the_current_folder_writes_beside_it(tmp_path, monkeypatch, given):
    (tmp_path / "res").mkdir()
    monkeypatch.chdir(tmp_path / "res")
    (tmp_path / "res" / "a").mkdir()
    assert rerun_module._default_out(Path(given)) == tmp_path / "res-rerun"


def test_same_seed_gives_byte_identical_files_in_separate_processes(tmp_path):
    outs = []
    for name in ("p1", "p2"):
        out = tmp_path / name
        cmd = [
            sys.executable,
            "-m",
            "sim",
            "run",
            str(FLAGSHIP),
            *SMALL,
            "--out",
            str(out),
            "--no-progress",
        ]
        subprocess.run(cmd, check=True, capture_output=True)
        outs.append(out)
    for name in ("timeseries.parquet", "summary.csv", "scenario.resolved.toml"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    for png in sorted((outs[0] / "figures").glob("*.png")):
        assert png.read_bytes() == (outs[1] / "figures" / png.name).read_bytes(), png.name


def test_a_full_disk_leaves_no_results_and_a_clear_message(tmp_path, capsys, monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_space)
    assert run_small(tmp_path / "full") == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # neither the folder nor a temporary one


def wait_for_handler(pid: int, sig: int, timeout: float = 30.0) -> None:
    """Wait until process ``pid`` has installed a handler for ``sig`` (Linux /proc).

    Python catches SIGINT from start-up, so for SIGINT this returns at once and the delay
    counts from the interpreter's start: the signal may then land while wlsim imports or
    loads its kernels, which it must also survive (exit 130, nothing written).
    """
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in status.read_text().splitlines():
            if line.startswith("SigCgt:") and int(line.split()[1], 16) >> (sig - 1) & 1:
                return
        time.sleep(0.01)


@pytest.mark.parametrize(
    ("sig", "delay"),
    [(signal.SIGKILL, 0.3), (signal.SIGKILL, 1.5), (signal.SIGTERM, 1.0), (signal.SIGINT, 0.6)],
)
def test_a_killed_run_leaves_nothing_a_reader_would_accept(tmp_path, sig, delay):
    """Kill a real `wlsim run` at a moment within its run; the results folder must then be
    either absent or complete (every file readable), never half-written."""
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "sim",
        "run",
        str(FLAGSHIP),
        "--set",
        "horizon_weeks=60",
        "--replicates",
        "4",
        "--out",
        str(out),
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if sig != signal.SIGKILL:
        # Time the signal from when wlsim handles it, not from when Python starts (a
        # loaded machine can take longer than the delay just to start the interpreter).
        wait_for_handler(proc.pid, sig)
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    if sig != signal.SIGKILL and proc.returncode != 0:
        assert proc.returncode == 130, f"exit status {proc.returncode}; stderr:\n{err}"
        assert "Traceback" not in err, err
    visible = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    if out.exists():  # the run finished before the signal: it must be complete
        assert sorted(p.name for p in out.iterdir()) == sorted([*FILES, "figures"])
        pd.read_parquet(out / "timeseries.parquet")
        json.loads((out / "metadata.json").read_text())
    else:
        assert visible == []
    if sig != signal.SIGKILL:
        assert not list(tmp_path.glob(".*partial*")), "a stopped run cleans up"
    # A later run to the same folder succeeds and clears what a killed run left.
    rerun = subprocess.run(
        [
            *cmd[:-3],
            "--set",
            "horizon_weeks=4",
            "--out",
            str(out),
            "--overwrite",
            "--no-progress",
            "--no-figures",
        ],
        capture_output=True,
    )
    assert rerun.returncode == 0
    assert not list(tmp_path.glob(".*partial*"))


def test_memory_estimate_refuses_a_huge_organisation(tmp_path, capsys):
    code = main(
        [
            "run",
            str(FLAGSHIP),
            "--set",
            "organisation.n_employees=900000000",
            "--out",
            str(tmp_path / "h"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "GiB" in err and "n_employees" in err
    assert not (tmp_path / "h").exists()


@pytest.mark.parametrize(
    ("programme", "needle"),
    [
        ({"kind": "mentorship", "learner_levels": [4]}, "no employee is eligible as a guide"),
        ({"kind": "mentorship", "n_learners_per_guide_max": 0}, "capacity of at least 1"),
        ({"kind": "reverse_mentoring", "learner_levels": [0]}, "no employee is eligible"),
    ],
)
def test_programmes_that_cannot_match_are_refused(programme, needle):
    with pytest.raises(ScenarioError, match=needle):
        validate_scenario({"name": "x", "programmes": {"p": programme}})


# --- property-based: any valid scenario keeps the state sound ------------------------------

unit = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def scenarios(draw):
    kinds = draw(st.lists(st.sampled_from(sorted(DESIGNS)), min_size=0, max_size=3, unique=True))
    programmes = {}
    for kind in kinds:
        programmes[kind] = {
            "kind": kind,
            "p_enrol": draw(unit),
            "structure": draw(unit),
            "hours_per_session": draw(st.floats(0.25, 6.0)),
            "cadence_weeks": draw(st.integers(1, 6)),
            "dur_relationship_weeks": draw(st.integers(1, 30)),
            "power_distance": draw(unit),
            "mode": draw(st.sampled_from(["dialogue", "observation"])),
        }
    raw = {
        "name": "prop",
        "horizon_weeks": draw(st.integers(1, 20)),
        "organisation": {"n_employees": draw(st.integers(12, 150))},
        "learning": {
            "rate_session_per_hour": draw(unit),
            "rate_practice_per_week": draw(unit),
            "gap_absorption": draw(st.floats(0.01, 1.0)),
            "dur_skill_half_life_weeks": draw(st.floats(1.0, 500.0)),
            "hours_learning_max_per_week": draw(st.floats(0.5, 20.0)),
            "feedback_per_hour": draw(unit),
        },
        "people": {
            "sd_log_learning_ability": draw(st.floats(0.0, 1.0)),
            "sd_skill_plateau": draw(st.floats(0.0, 0.3)),
        },
        "engagement": {
            "rate_drift_per_week": draw(unit),
            "support_per_session": draw(st.floats(0.0, 0.5)),
            "overload_per_hour": draw(st.floats(0.0, 0.5)),
        },
        "turnover": {
            "p_quit_per_week": draw(st.floats(0.0, 0.2)),
            "rel_hazard_per_engagement": draw(st.floats(0.0, 20.0)),
        },
        "programmes": programmes,
        "arms": {"all": {"programmes": list(programmes)}},
        "seed": draw(st.integers(0, 2**32)),
    }
    try:
        return validate_scenario(raw)
    except ScenarioError:
        # Some combinations are refused on purpose (e.g. no eligible guides); skip them.
        from hypothesis import reject

        reject()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_no_valid_scenario_produces_nan_out_of_range_skill_or_lost_headcount(scenario):
    model = WorkplaceModel(scenario, arm="all")
    wf = model.workforce
    for _ in range(scenario.horizon_weeks):
        model.step()
        assert wf.occupied.all()
        for arr in (wf.skill, wf.engagement, wf.feedback, wf.visibility):
            assert np.isfinite(arr).all()
            assert (arr >= 0).all() and (arr <= 1).all()
    rec = model.records[-1]
    assert rec["headcount"] == scenario.organisation.n_employees
    assert np.isfinite(rec["mean_skill"]) and np.isfinite(rec["mean_engagement"])


def test_a_results_folder_from_before_empty_sources_were_refused_still_loads(tmp_path):
    from sim.scenario.loading import load_resolved

    folder = tmp_path / "old"
    assert run_small(folder, "--no-figures") == 0
    resolved = folder / "scenario.resolved.toml"
    text = resolved.read_text()
    assert "source" not in text
    resolved.write_text(text.replace("[organisation]\n", '[organisation]\nsource = ""\n', 1))
    assert load_resolved(resolved).organisation.source == ""  # the synthetic organisation
