"""The folders wlsim writes results into: made whole, locked, replaced only when they are ours.

Every results folder (``wlsim run``, ``rerun``) and sweep folder is built in a hidden
sibling (``.NAME.partial-PID-XXXX``) that holds a marker file first, and is moved into
place by a rename that fails if anything exists at the target, so a reader never sees
half a folder and a folder that appears meanwhile is never replaced. An exclusive lock on
the target (``.NAME.lock`` beside it, an ``flock`` that ends with its process) keeps two
wlsim processes from writing to the same folder. ``--overwrite`` replaces only a folder
that is recognisably wlsim's: one with the marker, or (made before the marker existed)
with the files of a results or sweep folder. What a killed process left behind in the
same parent is cleaned by the next wlsim that writes there (docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from sim.errors import ScenarioError
from sim.experiments.pool import process_alive
from sim.files import rename_noreplace
from sim.provenance import wlsim_version

#: The marker file, written first into every folder wlsim makes.
MARKER = ".wlsim"

#: Files that identify a folder made by a wlsim without the marker.
_LEGACY = {
    "results": {"metadata.json", "scenario.resolved.toml", "timeseries.parquet"},
    "sweep": {"plan.parquet", "scenario.resolved.toml"},
}

#: What killed runs leave beside their target: building folders, replaced folders, locks.
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<what>partial|old)-(?P<pid>\d+)(-[^/]*)?$")

#: Locks this process holds, by target and thread, with how often each was taken.
_held: dict[tuple[Path, int], tuple[int, int]] = {}


def recognised(folder: Path) -> bool:
    """Whether a folder is one wlsim made (marker, or the files of a results or sweep folder)."""
    if (folder / MARKER).is_file():
        return True
    names = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
    return any(files <= names for files in _LEGACY.values())


def marker(folder: Path) -> dict:
    """The contents of a folder's marker (empty for a folder made without one)."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def check_output(out: Path, overwrite: bool, option: str = "--out") -> None:
    """Refuse, before anything runs, an output folder wlsim must not write or replace.

    Raises:
        ScenarioError: With what to do instead: the folder exists (without overwrite), is
            not wlsim's (with overwrite), contains the working folder, or cannot be
            written.
    """
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"{option} {out}: exists and is not a folder")
    if out.exists() and not overwrite:
        raise ScenarioError(
            f"{option} {out}: the results folder already exists; pass --overwrite to replace "
            "it, or choose another folder with --out"
        )
    if out.exists():
        here = Path.cwd().resolve()
        target = out.resolve()
        if target == here or target in here.parents:
            raise ScenarioError(
                f"{option} {out}: --overwrite would replace the folder you are working in "
                f"({target}); choose a new folder for the results"
            )
        if not recognised(out):
            raise ScenarioError(
                f"{option} {out}: --overwrite replaces only a folder wlsim wrote (with a "
                f"{MARKER} marker or the files of a results folder), and {out} is not one; "
                "choose another folder, or move or delete it yourself"
            )
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ScenarioError(f"{option} {out}: cannot write in {parent} (permission denied)")


@contextlib.contextmanager
def lock(out: Path, option: str = "--out") -> Iterator[None]:
    """Hold the exclusive lock on a target folder (re-entrant within one thread).

    The lock is an ``flock`` on ``.NAME.lock`` beside the target; the system releases it
    when the process ends, however it ends. The file is removed on release.

    Raises:
        ScenarioError: If another process holds it, naming that process.
    """
    key = (out.absolute(), threading.get_ident())
    if key in _held:
        fd, count = _held[key]
        _held[key] = (fd, count + 1)
        try:
            yield
        finally:
            _release(key)
        return
    made = _make_parents(key[0].parent)
    path = _lock_path(key[0])
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            _remove_empty(made)
            raise ScenarioError(
                f"{option} {out}: another wlsim{_holder(path)} is writing there; wait for it "
                f"to finish, or choose another folder with {option}"
            ) from None
        # The file may have been removed by its last holder between open and lock.
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    _held[key] = (fd, 1)
    try:
        yield
    finally:
        _release(key)
        _remove_empty(made)


def _make_parents(folder: Path) -> list[Path]:
    """Create a folder and its missing parents; return those created, deepest first."""
    made = []
    node = folder
    while not node.exists():
        made.append(node)
        node = node.parent
    folder.mkdir(parents=True, exist_ok=True)
    return made


def _remove_empty(made: list[Path]) -> None:
    """Remove the folders :func:`_make_parents` created, where they stayed empty."""
    for folder in made:
        try:
            folder.rmdir()
        except OSError:
            return


def _release(key: tuple[Path, int]) -> None:
    fd, count = _held[key]
    if count > 1:
        _held[key] = (fd, count - 1)
        return
    del _held[key]
    with contextlib.suppress(FileNotFoundError):
        os.unlink(_lock_path(key[0]))
    os.close(fd)


def _lock_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.lock")


def _holder(path: Path) -> str:
    with contextlib.suppress(OSError):
        text = path.read_text().strip()
        if text.isdigit():
            return f" (process {text})"
    return ""


def new_folder(out: Path, kind: str) -> Path:
    """A hidden folder beside ``out`` to build it in, holding the marker already.

    Args:
        out: The target folder.
        kind: ``"results"`` or ``"sweep"``, recorded in the marker.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-{os.getpid()}-", dir=out.parent))
    tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private; results are for sharing
    info = {
        "kind": kind,
        "wlsim_version": wlsim_version(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (tmp / MARKER).write_text(json.dumps(info) + "\n", encoding="utf-8")
    return tmp


def prepare_resumable(
    folder: Path,
    kind: str,
    marker: str,
    files: Mapping[str, str],
    changed: Mapping[str, str],
    resume: bool,
    overwrite: bool,
) -> None:
    """Check a folder to resume, or create a long job's folder whole with its inputs.

    Calibrations and optimisations keep what they were started from (the resolved
    scenario, fingerprints of data files) beside their progress (``marker``: pyabc's
    database, Optuna's journal); a resume must find the same inputs.

    Args:
        folder: The job's folder.
        kind: What the job is (``"calibration"``, ``"optimisation"``): the folder marker's
            kind and the word in messages.
        marker: The file that holds the job's progress (a folder without it has nothing
            to resume).
        files: The inputs to keep, by file name, as text.
        changed: For each input, the message when a resume finds it different.
        resume: Continue the job in ``folder``.
        overwrite: Replace ``folder``.

    Raises:
        ScenarioError: If there is nothing to resume, an input changed, or the folder
            exists without ``resume`` or ``overwrite``.
    """
    from sim.files import atomic_write

    if folder.exists() and resume:
        then = folder / "scenario.resolved.toml"
        if not (folder / marker).exists() or not then.exists():
            raise ScenarioError(
                f"--resume {folder}: no {kind} there (no {marker}); pass --overwrite to start "
                "afresh, or choose another --out"
            )
        for name, text in files.items():
            stored = folder / name
            if stored.exists() and stored.read_text(encoding="utf-8").strip() != text.strip():
                raise ScenarioError(f"--resume {folder}: {changed[name]}")
        return
    if resume:
        raise ScenarioError(f"--resume {folder}: the folder does not exist; run without --resume")
    if folder.exists():
        if not overwrite:
            raise ScenarioError(
                f"--out {folder}: the folder already exists; pass --resume to continue the "
                f"{kind} there, --overwrite to replace it, or choose another folder"
            )
        check_output(folder, overwrite)
    tmp = new_folder(folder, kind)
    try:
        for name, text in files.items():
            atomic_write(tmp / name, text.encode())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    publish(tmp, folder, overwrite)


def publish(tmp: Path, out: Path, overwrite: bool, option: str = "--out") -> None:
    """Move a finished folder into place; replace an existing one only if ``overwrite``.

    Raises:
        ScenarioError: If a folder is at ``out`` (without ``overwrite``: it appeared while
            the results were written) or is not wlsim's; ``tmp`` is removed and ``out``
            left as it was.
    """
    old = None
    try:
        if overwrite and out.exists():
            if not recognised(out):
                check_output(out, overwrite, option)  # raises, naming the folder
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.rename(out, old)
        try:
            rename_noreplace(tmp, out)
        except (FileExistsError, OSError) as exc:
            if not isinstance(exc, FileExistsError) and exc.errno != errno.ENOTEMPTY:
                raise
            raise ScenarioError(
                f"{option} {out}: a folder appeared there while the results were being "
                "written; it was left as it is and the results were not kept. Run again "
                f"with another {option} (or --overwrite if the folder is wlsim's)"
            ) from None
    except BaseException:
        if old is not None and not out.exists():
            os.rename(old, out)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old)


def clean_leftovers(parent: Path) -> list[Path]:
    """Clean what killed wlsim processes left in ``parent``; return what was cleaned.

    A building folder (``.NAME.partial-PID-…``) whose process is gone is removed; a
    replaced folder (``.NAME.old-PID``) is removed if its replacement is in place, and
    moved back to ``NAME`` if not. Folders of processes still running are left alone.
    """
    cleaned: list[Path] = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return cleaned
    for entry in entries:
        match = _LEFTOVER.match(entry.name)
        if not match or not entry.is_dir() or process_alive(int(match["pid"])):
            continue
        target = entry.with_name(match["name"])
        if match["what"] == "old" and not target.exists():
            with contextlib.suppress(OSError):
                rename_noreplace(entry, target)
                cleaned.append(target)
            continue
        shutil.rmtree(entry, ignore_errors=True)
        cleaned.append(entry)
    return cleaned


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
