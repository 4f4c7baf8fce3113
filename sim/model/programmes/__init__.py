"""Programmes: one rule engine configured by design presets (see :mod:`sim.scenario.designs`)."""

from sim.model.programmes.base import Relationships, Sessions
from sim.model.programmes.engine import ProgrammeRule

__all__ = ["ProgrammeRule", "Relationships", "Sessions"]
