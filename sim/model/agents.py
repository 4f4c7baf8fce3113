"""Employees as Mesa agents: thin views onto the workforce arrays.

An :class:`Employee` holds only its employee id; every attribute reads from (and, where
settable, writes to) the model's arrays, so Mesa's ``AgentSet.select``, ``groupby``,
``agg`` and visualisation see the same state that the vectorised rules update.
"""

from __future__ import annotations

from typing import Protocol

import mesa
import numpy as np

from sim.model.workforce import Workforce
from sim.scenario.schema import Scenario


class Workplace(Protocol):
    """What an :class:`Employee` view reads from its model (a :class:`WorkplaceModel`)."""

    workforce: Workforce
    params: Scenario

    def employee(self, employee_id: int) -> Employee:
        """The agent of a current employee."""
        ...

    def current_participants(self) -> set[int]:
        """Ids of employees in any programme relationship now."""
        ...


class Employee(mesa.Agent):
    """An employee of the organisation (a view onto one row of the workforce arrays).

    Args:
        model: The model the employee works in.
        employee_id: The employee's id in the workforce registry.
    """

    model: Workplace  # a mesa.Model that is also a Workplace

    def __init__(self, model: Workplace, employee_id: int) -> None:
        super().__init__(model)
        self.employee_id = int(employee_id)

    @property
    def slot(self) -> int:
        """Position the employee holds (-1 once they have left)."""
        return int(self.model.workforce.slot_of_id[self.employee_id])

    @property
    def level(self) -> int:
        """Level index (0 is the lowest)."""
        return int(self.model.workforce.level[self.slot])

    @property
    def level_name(self) -> str:
        """Name of the level."""
        return self.model.params.organisation.levels[self.level]

    @property
    def team(self) -> int:
        """Team id (the slot of the team's first-line manager)."""
        return int(self.model.workforce.team[self.slot])

    @property
    def manager(self) -> Employee | None:
        """The manager, or None for the root or a vacant manager position."""
        boss = int(self.model.workforce.manager[self.slot])
        if boss < 0:
            return None
        boss_id = int(self.model.workforce.employee_id[boss])
        return self.model.employee(boss_id) if boss_id >= 0 else None

    @property
    def tenure_weeks(self) -> float:
        """Weeks since hire."""
        return float(self.model.workforce.tenure_weeks[self.slot])

    @property
    def engagement(self) -> float:
        """Engagement in [0, 1]."""
        return float(self.model.workforce.engagement[self.slot])

    @engagement.setter
    def engagement(self, value: float) -> None:
        self.model.workforce.engagement[self.slot] = float(np.clip(value, 0.0, 1.0))

    @property
    def skill(self) -> np.ndarray:
        """Skill per domain (a writable view onto the workforce array)."""
        return self.model.workforce.skill[self.slot]

    @property
    def skills(self) -> dict[str, float]:
        """Skill per domain name."""
        domains = self.model.params.organisation.domains
        return dict(zip(domains, self.skill.tolist(), strict=True))

    @property
    def mean_skill(self) -> float:
        """Mean skill over domains."""
        return float(self.skill.mean())

    @property
    def participant(self) -> bool:
        """Whether the employee is in any programme relationship now."""
        return self.employee_id in self.model.current_participants()

    def __repr__(self) -> str:
        return f"Employee(id={self.employee_id}, level={self.level}, slot={self.slot})"
