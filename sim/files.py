"""Reading users' text files and writing wlsim's own files safely.

Scenario files and HR exports come from many editors and spreadsheet programs; they are
read here by one rule (UTF-8, with or without a byte-order mark) and a file in another
encoding is refused with a message that says how to fix it. Files wlsim writes appear
whole or not at all.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path

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
