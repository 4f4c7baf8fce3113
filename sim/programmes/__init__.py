"""Programmes: one rule engine configured by design presets (see :mod:`sim.designs`)."""

from sim.programmes.base import Relationships, Sessions
from sim.programmes.engine import ProgrammeRule

__all__ = ["ProgrammeRule", "Relationships", "Sessions"]
