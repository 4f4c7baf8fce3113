"""Inputs: the scenario schema, scenario files, design presets and HR data.

The lowest layer above :mod:`sim.errors`, :mod:`sim.files` and :mod:`sim.provenance`:
frozen, validated parameters (:mod:`~sim.scenario.schema`), loading files with
``extends``, arms and ``--set`` (:mod:`~sim.scenario.loading`), the programme design
presets (:mod:`~sim.scenario.designs`), HR data import (the roster,
:mod:`~sim.scenario.orgdata`, and the advice network, :mod:`~sim.scenario.networkdata`,
both read by :mod:`~sim.scenario.datafile`) and the memory check
(:mod:`~sim.scenario.resources`).
"""
