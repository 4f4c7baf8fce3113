"""Hierarchical mentorship: a more senior employee guides a junior one, one way.

Representation: long pairs (``dur_relationship_weeks``) between a mentee and a mentor at
least ``n_level_gap_min`` levels above; scheduled sessions every ``cadence_weeks``;
mentor capacity ``n_mentees_max``; learning flows from mentor to mentee in the
programme's focus domains; the mentor sponsors the mentee (visibility for promotion);
the mentor's hours count against their engagement when they exceed the tolerance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.programmes.base import Programme, Sessions
from sim.scenario import Mentorship

if TYPE_CHECKING:
    from sim.model import WorkplaceModel


class MentorshipProgramme(Programme):
    """Mentorship rules (see the module docstring)."""

    kind = "mentorship"
    params: Mentorship

    def match(self, model: WorkplaceModel, week: int) -> None:
        """End finished relationships and match waiting mentees to mentors with capacity.

        Mentee levels are served from the highest down, since they have the fewest
        eligible mentors. Under ``matching = "random"`` each waiting mentee gets a random
        free mentoring place; under ``"strongest"`` the places of the mentors strongest in
        the focus domains are given out first.
        """
        wf, p, rel = model.workforce, self.params, self.relationships
        rel.prune(wf.slot_of_id, week)
        waiting = self.enrolled(model, p.mentee_levels)
        waiting[wf.slot_of_id[rel.b]] = False
        if not waiting.any() or p.n_mentees_max == 0:
            return
        load = np.zeros(wf.n_slots, dtype=np.int64)
        np.add.at(load, wf.slot_of_id[rel.a], 1)
        volunteer = wf.occupied & (wf.propensity[:, 1] < p.p_volunteer)
        strength = (wf.skill * self.focus).sum(axis=1)
        for lv in sorted(p.mentee_levels, reverse=True):
            mentees = np.flatnonzero(waiting & (wf.level == lv))
            free = np.maximum(p.n_mentees_max - load, 0) * (
                volunteer & (wf.level >= lv + p.n_level_gap_min)
            )
            places = np.repeat(np.arange(wf.n_slots), free)
            if len(mentees) == 0 or len(places) == 0:
                continue
            mentees = self.rng.permutation(mentees)
            if p.matching == "random":
                places = self.rng.permutation(places)
            else:
                places = places[np.argsort(-strength[places], kind="stable")]
            k = min(len(mentees), len(places))
            mentors, mentees = places[:k], mentees[:k]
            np.add.at(load, mentors, 1)
            rel.add(
                wf.employee_id[mentors],
                wf.employee_id[mentees],
                self.new_quality(k),
                week,
                week + p.dur_relationship_weeks,
            )

    def sessions(self, model: WorkplaceModel, week: int) -> Sessions:
        """Scheduled sessions of active pairs; attended ones carry learning and sponsorship."""
        wf, p, rel = model.workforce, self.params, self.relationships
        mentor = wf.slot_of_id[rel.a]
        mentee = wf.slot_of_id[rel.b]
        met = self.due(week) & self.attend(model, mentee, mentor)
        self.grow_quality(met)
        mentor, mentee, q = mentor[met], mentee[met], rel.quality[met]
        hours = np.full(len(mentee), p.hours_per_session)
        return Sessions(
            learner=mentee,
            partner=mentor,
            hours=hours,
            quality=q,
            guide=mentor,
            guide_quality=q,
            attendee=np.concatenate([mentee, mentor]),
            attendee_hours=np.concatenate([hours, hours]),
            focus=self.focus,
            feedback_per_session=p.feedback_per_session,
            sponsorship_per_session=p.sponsorship_per_session,
        )
