"""Submodels, one module per section of ``docs/model.md`` section 7.

Pure functions of arrays, parameters and (where they draw) a generator; compiled
kernels sit beside the array-form formula they implement.
"""
