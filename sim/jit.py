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
