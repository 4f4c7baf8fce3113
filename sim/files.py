"""Reading users' text files and writing wlsim's own files safely.

Scenario files and HR exports come from many editors and spreadsheet programs; they are
read here by one rule (UTF-8, with or without a byte-order mark) and a file in another
encoding is refused with a message that says how to fix it. Files wlsim writes appear
whole or not at all.
"""

from __future__ import annotations

import codecs
import ctypes
import errno
import functools
import os
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError


def read_text(
    path: Path,
    advice: str,
    data: bytes | None = None,
    error: type[ScenarioError] = ScenarioError,
) -> str:
    """The text of a user's file: UTF-8, a leading byte-order mark (as Excel writes) dropped.

    Args:
        path: The file.
        advice: How to fix a file that is not UTF-8, e.g. ``"save the scenario as UTF-8
            TOML"``.
        data: The file's bytes when the caller has read them already (to hash them, say);
            by default the file is read.
        error: The error raised for a file that is not UTF-8.

    Returns:
        The decoded text.

    Raises:
        ScenarioError: If the bytes are not UTF-8 (raised as ``error``); the message names
            the offset of the first bad byte in the file.
        OSError: If the file cannot be read; callers word that message themselves.
    """
    if data is None:
        data = path.read_bytes()
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {bom + exc.start}); {advice}") from None


def atomic_write(path: Path, data: bytes) -> None:
    """Write bytes to a hidden temporary file in the same folder, sync, then rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:  # interrupted or failed: leave nothing behind (SIGKILL excepted)
        tmp.unlink(missing_ok=True)
        raise


#: ``renameat2`` flag: fail with EEXIST instead of replacing the target.
_RENAME_NOREPLACE = 1
_AT_FDCWD = -100


def rename_noreplace(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``, failing if ``dst`` exists (also an empty folder).

    On Linux this is one atomic ``renameat2(RENAME_NOREPLACE)``, so a folder that appears
    at ``dst`` at any moment is never replaced. Where that call is missing (other systems,
    some file systems) the check and the rename are two steps.

    Raises:
        FileExistsError: If ``dst`` exists.
        OSError: If the rename fails otherwise.
    """
    renameat2 = _libc_renameat2()
    if renameat2 is not None:
        if (
            renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE)
            == 0
        ):
            return
        err = ctypes.get_errno()
        if err not in (errno.ENOSYS, errno.EINVAL):
            raise OSError(err, os.strerror(err), str(dst))
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
    os.rename(src, dst)


@functools.cache
def _libc_renameat2() -> Any:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn
