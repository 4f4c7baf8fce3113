"""Fault injection: every way a results or sweep folder could be lost, mixed or corrupted.

Each test reproduces one case of docs/reliability.md at a well-defined point (a hook
that raises, a real signal once a file exists, a lock held by another process), never
by sleeping and hoping the machine is at the right moment.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.app.cli import main
from sim.errors import ScenarioError
from sim.experiments import folders, output, pool
from sim.experiments import sweep as sweep_mod
from sim.experiments.pool import WorkerPool
from sim.experiments.sweep import run_sweep
from sim.scenario import resources
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "scenarios" / "baseline.toml"
SMALL_RUN = [
    "--set",
    "organisation.n_employees=40",
    "--set",
    "horizon_weeks=4",
    "--replicates",
    "1",
    "--no-progress",
    "--no-figures",
]


def sweep_file(tmp: Path, values: int = 3, horizon: int = 6, employees: int = 60) -> Path:
    """A small grid sweep: ``values`` points x 2 replicates x 2 arms."""
    grid = ", ".join(f"{0.04 * (k + 1):.2f}" for k in range(values))
    path = tmp / "s.toml"
    path.write_text(
        f'extends = "{BASELINE.as_posix()}"\nname = "faults"\n'
        f"horizon_weeks = {horizon}\nreplicates = 2\n"
        f"[organisation]\nn_employees = {employees}\n"
        '[programmes.m]\nkind = "mentorship"\n'
        '[arms.m]\nprogrammes = ["m"]\n'
        f'[sweep]\nmethod = "grid"\n[sweep.grid]\n"programmes.m.p_enrol" = [{grid}]\n',
        encoding="utf-8",
    )
    return path


def sweep_files(folder: Path) -> dict[str, bytes]:
    """The bytes of everything a finished sweep's reader uses."""
    files = {
        name: (folder / name).read_bytes()
        for name in ("runs.parquet", "manifest.csv", "scenario.resolved.toml", "plan.parquet")
    }
    for part in sorted((folder / "timeseries").glob("*.parquet")):
        files[part.name] = part.read_bytes()
    return files


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The files of the sweep of :func:`sweep_file`, run once without any fault."""
    tmp = tmp_path_factory.mktemp("reference")
    out = tmp / "ref"
    assert main(["sweep", str(sweep_file(tmp)), "--out", str(out), "--no-progress"]) == 0
    return sweep_files(out)


def dead_pid() -> int:
    """The id of a process that has ended (and was reaped)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


# --- 1. resume with a changed scenario, data file or version ------------------------------


def test_resume_with_a_changed_scenario_is_refused_and_names_the_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, out = sweep_file(tmp_path), tmp_path / "out"
    first = ["sweep", str(path), "--out", str(out), "--no-progress"]
    assert main([*first, "--set", "horizon_weeks=4"]) == 0
    before = sweep_files(out)
    capsys.readouterr()
    changed = ["--set", "organisation.n_employees=80", "--set", "horizon_weeks=8"]
    assert main([*first, *changed, "--resume"]) == 2
    err = capsys.readouterr().err
    assert "cannot be continued" in err
    assert "horizon_weeks: 4 -> 8" in err and "organisation.n_employees: 60 -> 80" in err
    assert "--overwrite" in err and "Traceback" not in err
    assert sweep_files(out) == before


def test_resume_with_changed_organisation_data_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "org.csv"
    rows = ["employee_id,manager_id,level,team,tenure_years", "A,,4,board,10"]
    rows += [f"E{i},A,{i % 3},t{i % 4},{1 + i % 5}" for i in range(40)]
    data.write_text("\n".join(rows) + "\n")
    path = sweep_file(tmp_path)
    path.write_text(path.read_text() + '[organisation]\nsource = "org.csv"\n')
    path.write_text(path.read_text().replace("[organisation]\nn_employees = 60\n", "", 1))
    out = tmp_path / "out"
    args = ["sweep", str(path), "--out", str(out), "--no-progress"]
    assert main(args) == 0
    data.write_text(data.read_text().replace("E3,A,0,t3,4", "E3,A,1,t3,4"))
    capsys.readouterr()
    assert main([*args, "--resume"]) == 2
    err = capsys.readouterr().err
    assert "organisation data differ" in err and "org.csv" in err


def test_resume_under_another_wlsim_version_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["sweep", str(sweep_file(tmp_path)), "--out", str(tmp_path / "o"), "--no-progress"]
    assert main(args) == 0
    monkeypatch.setattr(sweep_mod, "wlsim_version", lambda: "99.0")
    capsys.readouterr()
    assert main([*args, "--resume"]) == 2
    assert "this is 99.0" in capsys.readouterr().err


def test_resume_command_repeats_the_set_options(tmp_path: Path) -> None:
    from sim.app.cli import _parser, _resume_command

    args = _parser().parse_args(
        ["sweep", "a b.toml", "--set", "horizon_weeks=8", "--set", "name=x y", "--workers", "2"]
    )
    command = _resume_command(args, Path("results/s"))
    assert command == (
        "wlsim sweep 'a b.toml' --set horizon_weeks=8 --set 'name=x y' "
        "--out results/s --resume --workers 2"
    )


# --- 2. two runs to one folder ---------------------------------------------------------------


def test_a_second_run_to_a_locked_folder_is_refused_before_it_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from sim.experiments.folders import lock\n"
            f"with lock(Path({str(out)!r})):\n    print('locked', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        ran = []
        monkeypatch.setattr("sim.experiments.run.collect", lambda *a, **k: ran.append(1))
        assert main(["run", str(BASELINE), *SMALL_RUN, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"another wlsim (process {holder.pid}) is writing there" in err
        assert not ran and not out.exists()
    finally:
        holder.communicate("")
    monkeypatch.undo()
    # Once the first process has gone, its lock has gone with it.
    assert main(["run", str(BASELINE), *SMALL_RUN, "--out", str(out)]) == 0
    assert not (tmp_path / ".out.lock").exists()


def test_two_threads_cannot_write_one_folder(tmp_path: Path) -> None:
    import threading

    out = tmp_path / "out"
    refused: list[str] = []

    def second() -> None:
        try:
            with folders.lock(out):
                pass
        except Exception as exc:
            refused.append(str(exc))

    with folders.lock(out), folders.lock(out):  # re-entrant in one thread
        thread = threading.Thread(target=second)
        thread.start()
        thread.join()
    assert refused and "another wlsim" in refused[0]


# --- 3. a folder that appears while results are written ---------------------------------------


def test_a_folder_that_appears_meanwhile_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    real = output._write_files

    def write_then_someone_else_creates_out(*args: object, **kwargs: object) -> None:
        real(*args, **kwargs)  # type: ignore[arg-type]
        out.mkdir()
        (out / "notes.txt").write_text("mine")

    monkeypatch.setattr(output, "_write_files", write_then_someone_else_creates_out)
    assert main(["run", str(BASELINE), *SMALL_RUN, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "appeared there while the results were being written" in err
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no partial left


def test_an_empty_folder_that_appears_meanwhile_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    real = output._write_files

    def write_then_mkdir(*args: object, **kwargs: object) -> None:
        real(*args, **kwargs)  # type: ignore[arg-type]
        out.mkdir()

    monkeypatch.setattr(output, "_write_files", write_then_mkdir)
    assert main(["run", str(BASELINE), *SMALL_RUN, "--out", str(out)]) == 2
    assert out.is_dir() and not any(out.iterdir())


# --- 4. a torn last line in the run log --------------------------------------------------------


def test_a_torn_log_line_is_cut_and_its_run_recovered(
    tmp_path: Path,
    reference: dict[str, bytes],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "torn"
    args = ["sweep", str(sweep_file(tmp_path)), "--out", str(out), "--no-progress"]
    real = sweep_mod._append
    calls = []

    def crash_mid_line(log, entry):  # type: ignore[no-untyped-def]
        calls.append(entry)
        if len(calls) == 5:  # the 5th run's part is on disk; half its line is written
            line = json.dumps(entry)
            log.write(line[: len(line) // 2])
            log.flush()
            raise KeyboardInterrupt
        real(log, entry)

    monkeypatch.setattr(sweep_mod, "_append", crash_mid_line)
    assert main(args) == 130
    assert not (out / "log.jsonl").read_bytes().endswith(b"\n")
    monkeypatch.setattr(sweep_mod, "_append", real)
    capsys.readouterr()
    assert main([*args, "--resume"]) == 0
    captured = capsys.readouterr()
    assert "12 of 12 runs finished" in captured.out
    assert "last line was cut short" in captured.err
    assert "recovered from their parts: p00000-r0002" not in captured.err  # only the real one
    assert "1 finished run(s) had no line" in captured.err
    assert sweep_files(out) == reference
    lines = (out / "log.jsonl").read_text().splitlines()
    assert len(lines) == 12 and all(json.loads(line)["status"] == "ok" for line in lines)


def test_an_unreadable_part_is_run_again(tmp_path: Path, reference: dict[str, bytes]) -> None:
    out = tmp_path / "s"
    scenario = load_scenario(sweep_file(tmp_path))
    run_sweep(scenario, out, progress=False)
    part = sorted((out / "timeseries").glob("*.parquet"))[3]
    part.write_bytes(b"not parquet")
    lines = (out / "log.jsonl").read_text().splitlines()
    keep = [line for line in lines if part.stem not in line]
    (out / "log.jsonl").write_text("\n".join(keep) + "\n")
    result = run_sweep(scenario, out, resume=True, progress=False)
    assert any("could not be read" in note for note in result.notes)
    assert result.n_done == 12
    assert sweep_files(out) == reference


# --- 5. --overwrite only replaces wlsim's own folders ----------------------------------------


def test_overwrite_replaces_a_results_folder_made_before_the_marker(tmp_path: Path) -> None:
    out = tmp_path / "old"
    assert main(["run", str(BASELINE), *SMALL_RUN, "--out", str(out)]) == 0
    (out / folders.MARKER).unlink()  # as wlsim wrote results folders before the marker
    assert folders.recognised(out)
    assert main(["run", str(BASELINE), *SMALL_RUN, "--out", str(out), "--overwrite"]) == 0
    assert (out / folders.MARKER).is_file()


# --- 6. a worker killed mid-sweep -------------------------------------------------------------


@pytest.mark.parametrize(
    ("once", "n_workers"),
    [(True, 2), (False, 2), (True, 1)],
    # One worker: the two replicates of a point and arm run as one batch, which is
    # retried run by run after the worker dies.
    ids=["killed-once", "killed-every-time", "killed-once-in-a-batch"],
)
def test_a_killed_worker_is_replaced_and_its_runs_retried(
    tmp_path: Path, reference: dict[str, bytes], once: bool, n_workers: int
) -> None:
    victim = "p00001-r0000-m"
    scenario = load_scenario(sweep_file(tmp_path))
    marker = tmp_path / "killed" if once else None
    with WorkerPool(n_workers, pool.kill_worker_at, (frozenset({victim}), marker)) as workers:
        result = run_sweep(scenario, tmp_path / "s", executor=workers, progress=False)
        assert workers.restarts >= 1
    if once:
        assert not result.failed and result.n_done == 12
        assert sweep_files(tmp_path / "s") == reference
    else:
        assert list(result.failed) == [victim] and result.n_done == 11
        assert "worker process running it died 2 times" in result.failed[victim]
        manifest = pd.read_csv(tmp_path / "s" / "manifest.csv")
        assert manifest.set_index("run_id").loc[victim, "status"] == "failed"
        # Resuming in this process (no fault) finishes the sweep with identical files.
        again = run_sweep(scenario, tmp_path / "s", resume=True, progress=False)
        assert again.n_done == 12 and sweep_files(tmp_path / "s") == reference


# --- 7. the main process killed: no worker survives it ---------------------------------------


def _session(sid: int) -> list[int]:
    """Processes in a session, from /proc."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_exit_when_the_sweep_is_killed(tmp_path: Path) -> None:
    path = sweep_file(tmp_path, values=20, horizon=60, employees=300)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(
        [*cmd, "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("timeseries/*.parquet"))) < 2:
        assert proc.poll() is None, "the sweep ended before it could be killed"
        time.sleep(0.05)
    helpers = [pid for pid in _session(proc.pid) if pid != proc.pid]
    assert len(helpers) >= 3, "two workers and the forkserver should be running"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _session(proc.pid):
        time.sleep(0.1)
    left = _session(proc.pid)
    for pid in left:  # do not leave them running if the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes still running 30 s after the sweep was killed: {left}"


# --- 8. killed before the plan was written ----------------------------------------------------


def test_a_sweep_stopped_before_its_plan_leaves_nothing_in_the_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "s"
    scenario = load_scenario(sweep_file(tmp_path))
    real = sweep_mod.atomic_write

    def stop_at_the_plan(path: Path, data: bytes) -> None:
        if path.name == "plan.parquet":
            raise KeyboardInterrupt
        real(path, data)

    monkeypatch.setattr(sweep_mod, "atomic_write", stop_at_the_plan)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(scenario, out, progress=False)
    assert not out.exists()
    monkeypatch.setattr(sweep_mod, "atomic_write", real)
    # What a SIGKILL at that moment leaves: a building folder whose process is gone.
    stale = tmp_path / f".s.partial-{dead_pid()}-abc"
    (stale / "timeseries").mkdir(parents=True)
    (stale / folders.MARKER).write_text("{}")
    assert run_sweep(scenario, out, progress=False).n_done == 12  # no --overwrite needed
    assert not stale.exists()


def test_resume_of_a_sweep_that_never_started_starts_it(tmp_path: Path) -> None:
    scenario = load_scenario(sweep_file(tmp_path))
    assert run_sweep(scenario, tmp_path / "new", resume=True, progress=False).n_done == 12


# --- 9. a full disk ---------------------------------------------------------------------------


def test_a_full_disk_is_a_message_and_the_sweep_resumes(
    tmp_path: Path,
    reference: dict[str, bytes],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "full"
    args = ["sweep", str(sweep_file(tmp_path)), "--out", str(out), "--no-progress"]
    real = sweep_mod._write_part
    writes = []

    def disk_fills(folder: Path, run_id: str, frame: pd.DataFrame) -> None:
        writes.append(run_id)
        if len(writes) == 4:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(folder / run_id))
        real(folder, run_id, frame)

    monkeypatch.setattr(sweep_mod, "_write_part", disk_fills)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "--resume" in err
    assert "Traceback" not in err
    monkeypatch.setattr(sweep_mod, "_write_part", real)
    assert main([*args, "--resume"]) == 0
    assert sweep_files(out) == reference


# --- 10. a plan too large ----------------------------------------------------------------------


def test_plan_size_is_counted_without_drawing_the_points() -> None:
    scenario = load_scenario(REPO / "scenarios" / "baseline.toml").model_copy()
    raw = scenario.model_dump(mode="python")
    from sim.scenario.loading import validate_scenario

    for method, n, per in (("sobol", 8, 5), ("morris", 4, 4), ("lhs", 10, 1)):
        raw["sweep"] = {
            "method": method,
            "n_samples": n,
            "ranges": {f"learning.{k}": [0.01, 0.02] for k in ("rate_session_per_hour",)}
            | {"turnover.p_quit_per_week": [0.001, 0.002], "seed": [1, 5]},
        }
        sc = validate_scenario(raw)
        assert sweep_mod.count_points(sc) == n * per == len(sweep_mod.sample_points(sc))


def test_planning_shows_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = load_scenario(sweep_file(tmp_path, values=5))
    sweep_mod.plan(scenario, progress=True)
    assert "planning: 100%" in capsys.readouterr().err
    sweep_mod.plan(scenario)  # quiet by default (the API), and for small plans
    assert capsys.readouterr().err == ""


# --- 11. memory: what is available, not what is installed ------------------------------------


def test_the_memory_guard_counts_memory_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    gib = 2**30
    monkeypatch.setattr(
        resources, "_meminfo", lambda: {"MemTotal": 24 * gib, "MemAvailable": 10 * gib}
    )
    monkeypatch.setattr(resources, "_read_int", lambda path: None)
    assert resources.available_bytes() == 10 * gib
    scenario = load_scenario(BASELINE, ["organisation.n_employees=7000000"])  # ~13.7 GiB
    with pytest.raises(ScenarioError, match=r"only 10\.0 GiB are available"):
        resources.check_memory(scenario)
    cgroup = {"/sys/fs/cgroup/memory.max": 8 * gib, "/sys/fs/cgroup/memory.current": gib}
    monkeypatch.setattr(resources, "_read_int", cgroup.get)
    assert resources.available_bytes() == 7 * gib  # a cgroup limit less its use


# --- 24. leftovers of killed runs ---------------------------------------------------------------


def test_leftovers_of_dead_runs_are_cleaned_by_the_next_run_of_any_name(tmp_path: Path) -> None:
    dead, alive = dead_pid(), os.getpid()
    gone = tmp_path / f".other.partial-{dead}-x1"
    running = tmp_path / f".other.partial-{alive}-x2"
    replaced = tmp_path / f".kept.old-{dead}"  # killed between the two renames
    for folder in (gone, running, replaced):
        folder.mkdir()
        (folder / "metadata.json").write_text("{}")
    user = tmp_path / ".other.partial-notes"  # not a pid: not wlsim's
    user.mkdir()
    assert main(["run", str(BASELINE), *SMALL_RUN, "--out", str(tmp_path / "new")]) == 0
    assert not gone.exists() and running.exists() and user.exists()
    assert (tmp_path / "kept" / "metadata.json").exists()  # moved back where it was
