"""Python's cycle collector while runs step week after week.

Every week a run makes and drops many small objects, so CPython's cycle collector runs
often, and each of its full collections examines every object tracked in the process:
a few hundred thousand, nearly all from the imports (numba, pandas, pydantic) and the
scenario, which live as long as the process. At 200 employees that was about 4% of a
run's time (docs/performance.md, "Per-replicate phases"). The first :func:`settle` of a
process collects what is garbage then and sets every object still alive aside for good
(``gc.freeze``), so that later collections examine only what was made since. The places
that build and run models call it before they build them (``run_batch_tables``, the
calibration's and the pilot planner's runs): a run's models hold reference cycles (a
model and its batch, Mesa's own) and are collected as usual once it is over, which they
would not be if they were set aside too. Results do not depend on it: the collector frees
memory, it draws no numbers.

What is set aside is never examined again, so an object alive at the first run that
later becomes garbage only through a reference cycle is not freed (objects without cycles
are freed as ever, when their last reference goes). In a process that runs one thing
this is what it should be; a notebook that builds large cyclic structures before its
first run and drops them later can give them back with :func:`release`.
"""

from __future__ import annotations

import gc

_settled = False


def settle() -> None:
    """Collect garbage and set aside every object alive now, once per process.

    Call it before building the models of a run. The first call collects once (a full
    collection, about 0.1 s with everything imported); later calls do nothing.
    """
    global _settled
    if not _settled:
        gc.collect()
        gc.freeze()
        _settled = True


def release() -> None:
    """Give every object set aside back to the collector.

    The next :func:`settle` sets aside what is alive then.
    """
    global _settled
    gc.unfreeze()
    _settled = False
