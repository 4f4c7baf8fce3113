"""Compiled kernels: the one place wlsim imports numba.

Every weekly kernel is decorated with :func:`kernel`: numba compiles it on first use
(no threads, no fastmath) and caches the machine code beside the module. With
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

from collections.abc import Callable
from typing import Any, cast

from sim.errors import MissingDependencyError

try:
    import numba
except ImportError as err:  # pragma: no cover - exercised in a subprocess by the tests
    raise MissingDependencyError(
        f"wlsim needs numba, which compiles its weekly kernels, and it could not be "
        f"imported ({err}). Install it with 'python -m pip install \"numba>=0.61\"' "
        f"(or reinstall wlsim: 'make demo' sets up .venv with everything it needs)."
    ) from err


def kernel[F: Callable[..., Any]](fn: F) -> F:
    """Compile ``fn`` with numba (nopython mode, cached on disk)."""
    return cast(F, numba.njit(cache=True)(fn))  # a Dispatcher, called like fn


def helper[F: Callable[..., Any]](fn: F) -> F:
    """Compile ``fn`` like :func:`kernel`, but copied into each kernel that calls it.

    For small rules called inside kernels' loops (numba's ``inline="always"``); called
    from Python it works like a kernel.
    """
    return cast(F, numba.njit(cache=True, inline="always")(fn))


def prefetch(a: Any, i: int, j: int = 0) -> None:
    """Ask the processor to start loading ``a[i, j, 0, ...]``, and go on without waiting.

    A hint that changes no number: in a compiled kernel it is LLVM's ``llvm.prefetch``
    of the cache line that holds ``a[i, j, 0, ...]`` (``a[i]`` for a 1-D array; read,
    kept in every cache level); called
    from Python, or with ``NUMBA_DISABLE_JIT=1``, it does nothing. Kernels that visit
    rows in an order the processor cannot guess (a programme's learners) or read lines
    far apart in one row (a row of beliefs, one line per domain) call it for a row they
    will read a few iterations later, so that its loads overlap the work in between
    instead of stalling it (docs/performance.md, prefetching). The indices must be
    within ``a``.
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
