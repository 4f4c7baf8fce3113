"""Random streams: one generator per kind of decision, all derived from one seed.

Replicate ``r`` of a scenario with seed ``s`` uses ``SeedSequence(s, spawn_key=(r,))``,
exactly the ``r``-th child of ``SeedSequence(s).spawn(...)``; each kind of decision then
draws from its own grandchild. Every arm of a comparison uses the same replicate seeds
(common random numbers), and because decisions have separate streams, adding a programme
does not reshuffle the draws of unrelated decisions. Streams that draw a fixed amount
each week stay aligned draw for draw across arms: the initial organisation, turnover
(one uniform per position per week), informal learning (eight per position per week),
attendance and early endings of relationships (one each per position per programme per
week) and promotion's rater impressions (one normal per position per week while rater
error is on). Hiring and matching draw as many numbers as there are hires or people to
match, so once arms differ in state those
streams diverge. Measurement draws nothing; the observation model (ratings and surveys of
the initial cohort, at the few weeks it is measured) draws from its own stream a fixed
number of values per measured week, the same in every arm.
"""

from __future__ import annotations

import numpy as np

# Fixed spawn keys: changing them changes every result, so only ever append.
_INIT, _TURNOVER, _HIRING, _MESA = 0, 1, 2, 3
# Informal learning: the weekly draws (a fixed number per position, aligned across arms),
# the draws for hires (as many as there are hires) and the initial network.
_INFORMAL, _INFORMAL_HIRES, _INFORMAL_INIT = 4, 5, 6
# Promotion: the rater impressions' weekly renewal (one normal per position per week).
_PROMOTION = 7
# Lasting traits (docs/model.md section 7.15): of the starting workforce, and of hires.
_TRAITS, _TRAITS_HIRES = 8, 9
# Scenario events: who is seeded with a new skill ([[skill_seeds]]; drawn at the start).
_SEEDS = 10
# The observation model (docs/model.md section 7.16): what HR would measure, drawn only at
# the weeks the initial cohort is measured, never read by the dynamics.
_OBSERVATION = 11
# Planning a pilot's evaluation (wlsim pilot): who enrols in the pilot, drawn before the
# first week; never read by the dynamics.
_PILOT_PLAN = 12
_PROGRAMME_BASE = 100


class Streams:
    """The generators of one run.

    Args:
        seed: The scenario's root seed.
        replicate: Replicate number (0-based).
    """

    def __init__(self, seed: int, replicate: int) -> None:
        self.seed = seed
        self.replicate = replicate
        self.init = self._make(_INIT)
        self.turnover = self._make(_TURNOVER)
        self.hiring = self._make(_HIRING)
        self.informal = self._make(_INFORMAL)
        self.informal_hires = self._make(_INFORMAL_HIRES)
        self.informal_init = self._make(_INFORMAL_INIT)
        self.promotion = self._make(_PROMOTION)
        self.traits = self._make(_TRAITS)
        self.traits_hires = self._make(_TRAITS_HIRES)
        self.seeds = self._make(_SEEDS)
        self.observation = self._make(_OBSERVATION)

    def _make(self, key: int) -> np.random.Generator:
        return np.random.default_rng(
            np.random.SeedSequence(self.seed, spawn_key=(self.replicate, key))
        )

    def pilot_plan(self) -> np.random.Generator:
        """Generator choosing who enrols in a planned pilot (:mod:`sim.experiments.pilotplan`)."""
        return self._make(_PILOT_PLAN)

    def mesa(self) -> np.random.Generator:
        """Generator handed to Mesa (used only by Mesa's own utilities, not by the rules)."""
        return self._make(_MESA)

    def programme(self, index: int, purpose: int = 0) -> np.random.Generator:
        """Generator of the programme at ``index`` in the scenario's programme table.

        Args:
            index: Position of the programme in the scenario's table.
            purpose: 0 for the draws made every week for every position (attendance,
                challenges), which stay aligned across arms; 1 for matching and starting
                quality, whose number of draws depends on who is waiting; 2 for early
                endings of relationships (one per position per week, aligned across
                arms).
        """
        key = (self.replicate, _PROGRAMME_BASE + index, purpose)
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))
