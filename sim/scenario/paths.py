"""Dotted parameter paths of a scenario given as nested dicts: read one, set one.

Sweeps, calibrations and runs over a posterior address parameters by their dotted path
(``"turnover.p_quit_per_week"``, ``"programmes.mentorship.p_enrol"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.errors import ScenarioError, did_you_mean


def value_at(raw: Mapping[str, Any], path: str, section: str = "sweep") -> Any:
    """The value at a dotted parameter path of a scenario given as nested dicts.

    Raises:
        ScenarioError: If the path names no parameter, with "did you mean" (the message
            starts with ``section``).
    """
    node: Any = raw
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            options = list(node) if isinstance(node, Mapping) else []
            raise ScenarioError(
                f"{section}: {path!r} is not a scenario parameter: no {part!r}"
                f"{did_you_mean(part, options)}; "
                f"valid here: {', '.join(map(str, options))}"
            )
        node = node[part]
    return node


def with_value(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of a scenario given as nested dicts with one dotted path set to ``value``."""
    parts = path.split(".")
    out = dict(raw)
    node = out
    for part in parts[:-1]:
        node[part] = dict(node[part])
        node = node[part]
    node[parts[-1]] = value
    return out


def whole_number(current: Any) -> bool:
    """Whether a parameter whose value is ``current`` takes whole numbers (not a flag)."""
    return isinstance(current, int) and not isinstance(current, bool)


def as_parameter(value: float, whole: bool) -> int | float:
    """A sampled or fitted value as the parameter takes it: rounded if ``whole``."""
    return round(float(value)) if whole else float(value)
