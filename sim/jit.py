"""Compiled kernels: the one place wlsim imports numba.

Every weekly kernel is decorated with :func:`kernel`: numba compiles it on first use
(no threads, no fastmath) and caches the machine code on disk (:func:`cache_dir`). With
``NUMBA_DISABLE_JIT=1`` in the environment the kernels run as plain Python, slowly but
with identical results, which is the way to debug one with pdb or print statements
(``tests/test_golden.py`` checks the identity).

A small rule that several kernels share (adding a tie, say) is decorated with
:func:`helper` instead: numba copies its body into every kernel that calls it. A call
between compiled functions is not free (numba passes each array as a dozen arguments
and counts references), and in a loop over thousands of ties or sessions a week such
calls cost more than the rule itself (docs/performance.md, informal learning).

If numba cannot be imported, importing a module with kernels raises
:class:`~sim.errors.MissingDependencyError` with what to install, which the CLI prints
without a traceback.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np

from sim.errors import MissingDependencyError

try:
    import numba
except ImportError as err:  # pragma: no cover - exercised in a subprocess by the tests
    raise MissingDependencyError(
        f"wlsim needs numba, which compiles its weekly kernels, and it could not be "
        f"imported ({err}). Install it with 'python -m pip install \"numba>=0.61\"' "
        f"(or reinstall wlsim: 'make demo' sets up .venv with everything it needs)."
    ) from err


#: The package whose kernels are compiled here.
PACKAGE = Path(__file__).resolve().parent
#: A cache of compiled kernels left unused this long is removed when another is made.
STALE_AFTER_S = 7 * 24 * 3600
#: The name of a cache's folder (:func:`source_fingerprint`).
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")


def source_fingerprint(package: Path = PACKAGE) -> str:
    """A digest of every module a kernel can reach: ``jit.py`` and all of ``model/``.

    numba keys a cached kernel on its own file only, so a kernel that inlines a helper
    from another module (the session rule of ``learning`` in ``session_effects``, say)
    would keep running the old helper after that module changed. Caching under this
    digest (:func:`cache_dir`) compiles every kernel afresh after any such change.
    """
    digest = hashlib.sha256()
    for path in [package / "jit.py", *sorted((package / "model").rglob("*.py"))]:
        if path.name.startswith("."):  # an editor's lock or backup (.#name.py), not a module
            continue
        try:
            text = path.read_bytes()
        except OSError:  # removed or replaced while we read (an editor saving)
            continue
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(text + b"\0")
    return digest.hexdigest()[:16]


@functools.cache
def cache_dir() -> Path | None:
    """Where compiled kernels are cached: a folder named by :func:`source_fingerprint`.

    The first that can be written of: ``wlsim-kernels/`` under ``NUMBA_CACHE_DIR`` when
    that is set; ``sim/__pycache__/kernels/`` beside the package; ``wlsim/kernels/`` in
    the user's cache (``~/.cache``); ``wlsim-kernels-<user id>/`` in the temporary
    folder. None if none can be written (numba then finds its own place). Other
    fingerprints' folders there unused for :data:`STALE_AFTER_S` are removed.
    """
    given = os.environ.get("NUMBA_CACHE_DIR", "")
    uid = os.getuid() if hasattr(os, "getuid") else 0
    roots = [Path(given) / "wlsim-kernels"] if given else []
    roots.append(PACKAGE / "__pycache__" / "kernels")
    try:
        user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        roots.append(user / "wlsim" / "kernels")
    except (RuntimeError, KeyError):  # no home folder (a container's anonymous user)
        pass
    roots.append(Path(tempfile.gettempdir()) / f"wlsim-kernels-{uid}")
    fingerprint = source_fingerprint(PACKAGE)
    for root in roots:
        folder = root / fingerprint
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not os.access(folder, os.W_OK):
                continue
            os.utime(folder)  # in use now: loading kernels writes nothing that would say so
        except OSError:
            continue
        remove_stale(root, keep=folder)
        return folder
    return None


def remove_stale(root: Path, keep: Path, now: float | None = None) -> None:
    """Remove fingerprints' folders under ``root`` (other than ``keep``) unused for a week.

    A folder counts as used when a process last chose it (:func:`cache_dir` touches it)
    or numba last wrote a kernel into it.

    Only folders named like a fingerprint (16 hexadecimal digits) are touched; best
    effort (a folder another process is using or removing is left).
    """
    now = time.time() if now is None else now
    for folder in root.iterdir():
        if folder == keep or not folder.is_dir() or not _FINGERPRINT.fullmatch(folder.name):
            continue
        try:
            newest = max((p.stat().st_mtime for p in folder.rglob("*")), default=0.0)
            if now - max(newest, folder.stat().st_mtime) > STALE_AFTER_S:
                shutil.rmtree(folder)
        except OSError:
            continue


def _compile[F: Callable[..., Any]](fn: F, **options: Any) -> F:
    """``numba.njit(cache=True, **options)(fn)``, cached in :func:`cache_dir`."""
    folder = cache_dir()
    settings: Any = numba.config
    previous = settings.CACHE_DIR
    if folder is not None:  # read by numba when the dispatcher is made, and kept
        settings.CACHE_DIR = str(folder)
    try:
        return cast(F, numba.njit(cache=True, **options)(fn))  # a Dispatcher, called like fn
    finally:
        settings.CACHE_DIR = previous


def kernel[F: Callable[..., Any]](fn: F) -> F:
    """Compile ``fn`` with numba (nopython mode, cached on disk in :func:`cache_dir`)."""
    return _compile(fn)


def helper[F: Callable[..., Any]](fn: F) -> F:
    """Compile ``fn`` like :func:`kernel`, but copied into each kernel that calls it.

    For small rules called inside kernels' loops (numba's ``inline="always"``); called
    from Python it works like a kernel.
    """
    return _compile(fn, inline="always")


@helper
def unsigned(k: int) -> np.uintp:
    """``k``, which must not be negative, as an unsigned index.

    numba reads ``a[k]`` with a signed ``k`` as Python does, a negative ``k`` counting
    from the end, which costs a few instructions per index unless the compiler can
    prove ``k`` is not negative (a ``range`` loop's index, a number tested just before).
    An index read from an array (an adviser's id, a level) or counted in a ``while``
    loop is not proven; as an unsigned number it is read directly. The decay of the
    ties went from 33 to 19 instructions a tie (docs/performance.md, unsigned
    indices). Use it only as an index: numba turns arithmetic that mixes unsigned and
    signed integers into floating point. A negative ``k`` is an error that compiled code
    does not report: it reads far outside the array (with ``NUMBA_DISABLE_JIT=1`` it
    raises ``OverflowError``), so test such a value first.
    """
    return np.uintp(k)


def prefetch(a: Any, i: int, j: int = 0) -> None:
    """Ask the processor to start loading ``a[i, j, 0, ...]``, and go on without waiting.

    A hint that changes no number: in a compiled kernel it is LLVM's ``llvm.prefetch``
    of the cache line that holds ``a[i, j, 0, ...]`` (``a[i]`` for a 1-D array; read,
    kept in every cache level); called from Python, or with ``NUMBA_DISABLE_JIT=1``, it
    does nothing. Kernels that visit rows in an order the processor cannot guess (a
    programme's learners) or read lines far apart in one row (a row of beliefs, a block
    of lines per domain) call it for a row they will read a few iterations later, so
    that its loads overlap the work in between instead of stalling it
    (docs/performance.md, prefetching). The indices must be within ``a``.
    """


def _register_prefetch() -> None:
    """Compile :func:`prefetch` in kernels to LLVM's prefetch (numba's overload)."""
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic, overload

    @intrinsic
    def _prefetch(typingctx: Any, a: Any, i: Any, j: Any) -> Any:
        if not isinstance(a, types.Array) or not all(isinstance(x, types.Integer) for x in (i, j)):
            return None
        sig = types.void(a, i, j)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            array_type = signature.args[0]
            array = context.make_array(array_type)(context, builder, args[0])
            zero = context.get_constant(types.intp, 0)
            index = [
                context.cast(builder, value, kind, types.intp)
                for value, kind in zip(args[1:], signature.args[1:], strict=True)
            ][: array_type.ndim]
            index += [zero] * (array_type.ndim - len(index))
            pointer = cgutils.get_item_pointer(
                context, builder, array_type, array, index, wraparound=False, boundscheck=False
            )
            byte_pointer = ir.IntType(8).as_pointer()
            i32 = ir.IntType(32)
            fn = cgutils.get_or_insert_function(
                builder.module,
                ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
                f"llvm.prefetch.{byte_pointer.intrinsic_name}",  # p0i8 or p0, as llvmlite names it
            )
            # read (0), keep in every cache level (3), data rather than instructions (1)
            builder.call(fn, [builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)])
            return context.get_dummy_value()

        return sig, codegen

    @overload(prefetch, inline="always")
    def _prefetch_overload(a, i, j=0):  # no annotations: numba compares the signatures
        if isinstance(a, types.Array) and isinstance(i, types.Integer):
            return lambda a, i, j=0: _prefetch(a, i, j)  # type: ignore[call-arg]  # typed by numba
        return None


_register_prefetch()
