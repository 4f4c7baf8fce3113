"""The model: the workforce arrays, the weekly schedule, submodels, programmes, measurement.

:class:`~sim.model.workplace.WorkplaceModel` runs the schedule documented in
``docs/model.md``; :mod:`~sim.model.submodels` holds one module per submodel of its
section 7, :mod:`~sim.model.programmes` the programme rule engine. Imports only from
:mod:`sim.scenario` and the base modules.
"""
