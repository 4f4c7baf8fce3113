"""Programmes: one rule engine configured by design presets (see :mod:`sim.scenario.designs`)."""

from sim.model.programmes.engine import ProgrammeRule
from sim.model.programmes.relationships import RelationshipColumns, Relationships
from sim.model.programmes.sessions import SessionArrays, Sessions

__all__ = ["ProgrammeRule", "RelationshipColumns", "Relationships", "SessionArrays", "Sessions"]
