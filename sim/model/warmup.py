"""Load every compiled kernel up front, so that a run never enters numba halfway.

numba compiles a kernel, or loads it from its cache, the first time it is called. The
``wlsim`` command calls :func:`load_kernels` before it starts handling Ctrl-C, so that no
interrupt can land inside numba or llvmlite: llvmlite calls back into Python through
ctypes while a kernel is compiled or loaded, and ctypes swallows an exception raised
there (a KeyboardInterrupt would be lost, or numba would later fail with "no compiled
object yet" while saving the kernel to its cache).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import sim.model


def kernel_modules() -> list[str]:
    """Every module of the model layer, where kernels (:func:`sim.jit.kernel`) live."""
    return sorted(
        info.name
        for info in pkgutil.walk_packages(sim.model.__path__, prefix="sim.model.")
        if info.name != __name__
    )


def kernels() -> dict[str, Any]:
    """Every kernel of the model layer by its dotted name (imports the modules).

    Raises:
        MissingDependencyError: If numba cannot be imported.
    """
    from numba.core.registry import CPUDispatcher

    found = {}
    for name in kernel_modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and value.__module__ == name:
                found[f"{name}.{attr}"] = value
    return found


def load_kernels() -> None:
    """Compile, or load from numba's cache, every kernel a run calls from Python.

    Runs a 30-employee organisation with every programme design for two weeks, alone and
    as a batch of two replicates with cohort snapshots: the kernels are called with the
    argument types of every run (``tests/test_kernels.py``
    checks that runs of the scenario files add no other). About 0.3 s when the kernels
    are in numba's cache; the first time on a machine, compiling them takes a few seconds.

    Raises:
        MissingDependencyError: If numba cannot be imported.
    """
    kernels()  # every kernel module is imported, even one the model would import late
    from sim.model.workplace import WorkplaceModel
    from sim.scenario.designs import DESIGNS
    from sim.scenario.loading import validate_scenario

    programmes = {name: {"kind": name} for name in DESIGNS}
    scenario = validate_scenario(
        {
            "name": "load_kernels",
            "horizon_weeks": 2,
            "organisation": {"n_employees": 30},
            "programmes": programmes,
            "arms": {"all": {"programmes": list(programmes)}},
        }
    )
    model = WorkplaceModel(scenario, arm="all")
    for _ in range(scenario.horizon_weeks):
        model.step()
    # Replicates in a batch, with the cohort snapshots runs take (cohort.py's kernels).
    from sim.model.cohort import CohortRecorder
    from sim.model.workplace import ReplicateBatch

    models = [WorkplaceModel(scenario, arm="all", replicate=r) for r in (0, 1)]
    recorders = [CohortRecorder(m, (scenario.horizon_weeks,)) for m in models]
    batch = ReplicateBatch(models)
    for _ in range(scenario.horizon_weeks):
        batch.step()
        for m, recorder in zip(models, recorders, strict=True):
            recorder.after_week(m)
