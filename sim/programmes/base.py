"""The interface every programme implements, and the pieces they share.

A programme does two things each week, in the schedule's phases 1 and 2: it forms and
dissolves relationships (matching), and it reports the sessions that took place as a
:class:`Sessions` batch. Learning, engagement and costs are then applied to all batches
alike by the model, so a programme never changes skill or engagement itself: every
effect comes through the shared mechanisms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.scenario import ProgrammeBase

if TYPE_CHECKING:
    from sim.model import WorkplaceModel

_EMPTY_INT = np.empty(0, dtype=np.int64)
_EMPTY_FLOAT = np.empty(0, dtype=np.float64)


@dataclass(frozen=True)
class Sessions:
    """One week's attended sessions of one programme.

    Directed sessions (``learner`` learns from ``partner``) carry the learning; a
    reciprocal session appears once in each direction. ``attendee`` and
    ``attendee_hours`` count the time each person spent, once per session.

    Attributes:
        learner: Slot of each directed session's learner.
        partner: Slot of the partner learned from.
        hours: Hours of each directed session.
        quality: Relationship quality of each directed session.
        guide: Slots of one-way guides (mentors), who gain generative support.
        guide_quality: Relationship quality of each guide's session.
        attendee: Slot of everyone who spent time in a session.
        attendee_hours: Hours each attendee spent.
        focus: Learning weight per domain.
        feedback_per_session: Feedback stock a learner gains per session.
        sponsorship_per_session: Visibility a learner gains per session.
    """

    learner: np.ndarray
    partner: np.ndarray
    hours: np.ndarray
    quality: np.ndarray
    guide: np.ndarray
    guide_quality: np.ndarray
    attendee: np.ndarray
    attendee_hours: np.ndarray
    focus: np.ndarray
    feedback_per_session: float
    sponsorship_per_session: float

    @classmethod
    def none(cls, n_domains: int) -> Sessions:
        """An empty batch."""
        return cls(
            *(_EMPTY_INT, _EMPTY_INT, _EMPTY_FLOAT, _EMPTY_FLOAT, _EMPTY_INT, _EMPTY_FLOAT),
            _EMPTY_INT,
            _EMPTY_FLOAT,
            np.zeros(n_domains),
            0.0,
            0.0,
        )


class Relationships:
    """Growable table of pairwise relationships, stored by employee id.

    Storing ids rather than slots means a promotion does not break a relationship, and
    a leaver's relationships end because their id no longer maps to a slot.
    """

    def __init__(self) -> None:
        self.a = _EMPTY_INT.copy()
        self.b = _EMPTY_INT.copy()
        self.quality = _EMPTY_FLOAT.copy()
        self.start = _EMPTY_INT.copy()
        self.end = _EMPTY_INT.copy()

    def __len__(self) -> int:
        return len(self.a)

    def add(self, a: np.ndarray, b: np.ndarray, quality: np.ndarray, start: int, end: int) -> None:
        """Append relationships between ids ``a`` and ``b``."""
        k = len(a)
        self.a = np.concatenate([self.a, a])
        self.b = np.concatenate([self.b, b])
        self.quality = np.concatenate([self.quality, quality])
        self.start = np.concatenate([self.start, np.full(k, start, dtype=np.int64)])
        self.end = np.concatenate([self.end, np.full(k, end, dtype=np.int64)])

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the relationships where ``mask`` is true."""
        for name in ("a", "b", "quality", "start", "end"):
            setattr(self, name, getattr(self, name)[mask])

    def prune(self, slot_of_id: np.ndarray, week: int) -> None:
        """End relationships whose term is over or one of whose members has left."""
        if len(self):
            self.keep((slot_of_id[self.a] >= 0) & (slot_of_id[self.b] >= 0) & (self.end > week))


class Programme:
    """Base class of programme rules: matching (phase 1) and sessions (phase 2).

    Subclasses set ``kind`` and implement :meth:`match` and :meth:`sessions`.

    Args:
        name: Name of the programme in the scenario.
        params: Its validated parameters.
        index: Position of the programme in the scenario's table, which names its
            random streams, so that the same programme draws the same numbers in every arm.
        model: The model it runs in.
    """

    kind: ClassVar[str] = ""

    def __init__(self, name: str, params: ProgrammeBase, index: int, model: WorkplaceModel) -> None:
        self.name = name
        self.params = params
        self.rng = model.streams.programme(index)
        self.relationships = Relationships()
        domains = model.params.organisation.domains
        focus = params.focus_domains
        self.focus = np.array(
            [
                1.0 if (not focus or d in focus) else model.params.learning.rel_nonfocus
                for d in domains
            ]
        )

    def match(self, model: WorkplaceModel, week: int) -> None:
        """Form and dissolve relationships (phase 1)."""
        raise NotImplementedError

    def sessions(self, model: WorkplaceModel, week: int) -> Sessions:
        """Return the sessions that took place this week (phase 2)."""
        raise NotImplementedError

    def enrolled(self, model: WorkplaceModel, levels: tuple[int, ...]) -> np.ndarray:
        """Mask of employees at the given levels who enrol as learners."""
        wf = model.workforce
        return wf.occupied & np.isin(wf.level, levels) & (wf.propensity[:, 0] < self.params.p_enrol)

    def new_quality(self, k: int) -> np.ndarray:
        """Draw the starting quality (fit) of ``k`` new relationships."""
        p = self.params
        return np.clip(self.rng.normal(p.quality_initial_mean, p.quality_initial_sd, k), 0.05, 1.0)

    def due(self, week: int) -> np.ndarray:
        """Mask of relationships with a scheduled session this week."""
        return (week - self.relationships.start) % self.params.cadence_weeks == 0

    def attend(self, model: WorkplaceModel, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Decide which scheduled sessions take place.

        Attendance probability is structure + (1 - structure) * the lower engagement of
        the two. One uniform draw per position per week keeps the draws of this stream
        aligned across arms (common random numbers).

        Args:
            model: The model.
            a: Slots of the first members.
            b: Slots of the second members.

        Returns:
            Mask of sessions that take place.
        """
        eng = model.workforce.engagement
        s = self.params.structure
        p = s + (1.0 - s) * np.minimum(eng[a], eng[b])
        u = self.rng.random(model.workforce.n_slots)
        return u[a] < p

    def grow_quality(self, mask: np.ndarray) -> None:
        """Raise the quality of relationships that met this week."""
        q = self.relationships.quality
        q[mask] += self.params.rate_quality_per_session * (1.0 - q[mask])
