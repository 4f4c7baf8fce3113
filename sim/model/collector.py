"""Python's cycle collector while a run steps week after week.

Every week a run makes and drops many small objects, so CPython's cycle collector runs
often, and each of its full collections examines every object tracked in the process:
a few hundred thousand, nearly all from the imports (numba, pandas, pydantic) and the
scenario, which live as long as the process and can never be garbage during a run. At
200 employees that was about 4% of a run's time (docs/performance.md, "Per-replicate
phases"). :func:`long_run` sets those objects aside (``gc.freeze``) for the run and
gives them back to the collector afterwards (``gc.unfreeze``), so nothing that becomes
garbage is kept once the run is over. Objects made during the run are collected as
usual. Results do not depend on it: the collector frees memory, it draws no numbers.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_run() -> Iterator[None]:
    """Keep the objects that exist now out of the cycle collector's work until the end.

    Nested or concurrent uses are harmless: the first to end gives every object back, and
    the others go on as without it.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
