"""Reading and writing scenario files: TOML, inheritance, overrides, and clear errors.

A scenario file may ``extends = "other.toml"`` (relative to itself) and override only
what changes; tables merge key by key, other values replace. Overrides from the command
line (``--set PATH=VALUE``) and from an arm's ``overrides`` table merge the same way.
Every problem is raised as a :class:`~sim.errors.ScenarioError` whose message names the file, the
field, the bad value and what is allowed; a value that came from a file further up the
``extends`` chain, or from ``--set``, says so.
"""

from __future__ import annotations

import copy
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w
from pydantic import BaseModel, ValidationError

from sim.errors import ScenarioError, did_you_mean
from sim.files import read_text
from sim.scenario import hrterms
from sim.scenario.schema import PROGRAMME_KINDS, Scenario, safe_name

#: Most files in one ``extends`` chain below the file named on the command line.
MAX_EXTENDS = 32
#: Most tables and arrays inside each other in a scenario (a real one needs about 7:
#: ``arms.a.overrides.programmes.m.guide_levels = [...]``); deeper input is a mistake,
#: and Python's parsers would run out of stack on it.
MAX_NESTING = 32
_NESTING_FIX = "check the brackets: a scenario needs only a few levels"


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, merge and validate a scenario file.

    Args:
        path: The TOML file.
        overrides: ``PATH=VALUE`` strings applied after inheritance, e.g.
            ``"turnover.p_quit_per_week=0.005"``. VALUE is read as a TOML value, or as a
            plain string when it is not one.

    Returns:
        The validated scenario; every arm's overrides have been validated too.

    Raises:
        ScenarioError: If the file or an override is invalid.
    """
    path = Path(path)
    origins: dict[str, str] = {}
    raw = _read_with_extends(path, stack=(), origins=origins)
    # Values from the file itself need no note; those from its parents name their file.
    top = str(path.resolve())
    origins = {k: f"set in {v}" for k, v in origins.items() if v != top}
    for expr in overrides:
        key, value = parse_assignment(expr)
        _set_dotted(raw, key, value)
        _forget(origins, key)
        origins[key] = f"from --set {expr}"
    return _validate_all(raw, str(path), origins)


def load_resolved(path: str | Path) -> Scenario:
    """Load the ``scenario.resolved.toml`` of a results or sweep folder.

    Folders written before an empty ``organisation.source`` was refused hold
    ``source = ""`` for a synthetic organisation; it is read as no source, so their
    scenarios load as they ran.

    Raises:
        ScenarioError: If the file is invalid.
    """
    path = Path(path)
    raw = _read_with_extends(path, stack=(), origins={})
    organisation = raw.get("organisation")
    if isinstance(organisation, dict) and organisation.get("source") == "":
        del organisation["source"]
    return _validate_all(raw, str(path), {})


def departure_rows(scenario: Scenario, index: int, source: str = "<scenario>") -> Any:
    """The roster rows of the employees a ``who = "ids"`` departure names.

    Raises:
        ScenarioError: If an id is not in the roster, naming the ids and the file.
    """
    import pandas as pd

    from sim.scenario.orgdata import roster_rows

    event = scenario.departures[index]
    rows = roster_rows(scenario, pd.Series(event.ids, dtype=str))
    unknown = [i for i, r in zip(event.ids, rows, strict=True) if r < 0]
    if unknown:
        shown = ", ".join(repr(i) for i in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ScenarioError(
            f"{source}: departures[{index}].ids: {shown}{more} not in "
            f"{scenario.organisation.source}; use ids from its employee_id column"
        )
    return rows


def validate_scenario(
    raw: Mapping[str, Any], source: str = "<scenario>", set_paths: Mapping[str, str] | None = None
) -> Scenario:
    """Validate a scenario given as a (nested) mapping, and every arm derived from it.

    Args:
        raw: The scenario as nested dictionaries, as read from TOML.
        source: Where the mapping came from, for messages.
        set_paths: Dotted paths set on the command line, mapped to what was typed, so
            that messages can say where a bad value came from: ``"PATH=VALUE"`` (from
            ``--set``) or a whole option such as ``"--seed -1"``.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: If the scenario or one of its arms is invalid.
    """
    origins = {
        k: f"from {e}" if e.startswith("-") else f"from --set {e}"
        for k, e in (set_paths or {}).items()
    }
    return _validate_all(raw, source, origins)


def _validate_all(raw: Mapping[str, Any], source: str, origins: Mapping[str, str]) -> Scenario:
    scenario = _validate(raw, source, origins)
    counts = None
    if scenario.organisation.source:
        from sim.scenario.orgdata import load_roster

        roster = load_roster(scenario)
        # The data decide the size of the organisation.
        org = scenario.organisation.model_copy(update={"n_employees": roster.n})
        scenario = scenario.model_copy(update={"organisation": org})
        counts = np.bincount(roster.level, minlength=scenario.n_levels)
    if scenario.organisation.network:
        from sim.scenario.networkdata import load_network

        load_network(scenario)  # checked before any run, as the roster is
    _check_hr_terms(scenario, source, counts)
    for arm in scenario.arms:
        own = arm_scenario(scenario, arm, source=source)
        if scenario.arms[arm].overrides:
            _check_hr_terms(own, f"{source} (arm {arm!r})", counts)
        for i, event in enumerate(own.departures):  # an arm may add departures
            if event.who == "ids":
                departure_rows(own, i, f"{source} (arm {arm!r})")
    return scenario


def level_sizes(scenario: Scenario) -> np.ndarray:
    """Employees per level at week 0: the HR data's, or the synthetic organisation's."""
    org = scenario.organisation
    if org.source:
        from sim.scenario.orgdata import load_roster

        return np.bincount(load_roster(scenario).level, minlength=scenario.n_levels)
    return hrterms.level_counts(org.n_employees, org.level_shares, org.first_manager_level)


def _check_hr_terms(scenario: Scenario, source: str, counts: np.ndarray | None) -> None:
    """Refuse programmes in HR terms that the organisation or their budget cannot meet."""
    if not any(hrterms.states_hr_terms(p) for p in scenario.programmes.values()):
        return
    try:
        hrterms.check(scenario, level_sizes(scenario) if counts is None else counts)
    except ValueError as exc:
        raise ScenarioError(f"{source}: invalid scenario (1 problem)\n  {exc}") from None


def arm_scenario(scenario: Scenario, arm: str, source: str = "<scenario>") -> Scenario:
    """Return the scenario as one arm sees it: the arm's overrides merged over the base.

    Args:
        scenario: The validated base scenario.
        arm: Name of the arm.
        source: Where the scenario came from, for messages.

    Returns:
        A scenario whose ``arms`` holds only this arm.

    Raises:
        ScenarioError: If the arm is unknown or its overrides are invalid.
    """
    if arm not in scenario.arms:
        raise ScenarioError(
            f"{source}: unknown arm {arm!r}{did_you_mean(arm, scenario.arms)}; "
            f"arms in this scenario: {', '.join(scenario.arms)}"
        )
    spec = scenario.arms[arm]
    raw = scenario.model_dump(mode="python")
    raw["arms"] = {arm: spec.model_dump(mode="python")}
    origins: dict[str, str] = {}
    if spec.overrides:
        merged = _expand_dotted(spec.overrides)
        raw = _merge(raw, merged)
        raw["arms"][arm]["overrides"] = {}
        origins = {k: f"from arms.{arm}.overrides" for k in _leaf_paths(merged)}
    return _validate(raw, f"{source} (arm {arm!r}, overrides)", origins)


def dump_scenario(scenario: Scenario) -> str:
    """Serialise a scenario as TOML that :func:`load_scenario` reads back to an equal object.

    Args:
        scenario: The scenario to write.

    Programmes stated in HR terms (headcounts, months, budgets) are preceded by comments
    that record their translation into the engine's parameters (:mod:`.hrterms`).

    Returns:
        The TOML text.
    """
    text = tomli_w.dumps(scenario.model_dump(mode="json"))
    if not any(hrterms.states_hr_terms(p) for p in scenario.programmes.values()):
        return text
    lines = hrterms.describe(scenario, level_sizes(scenario))
    head = ["# Programmes in HR terms, as wlsim translated them (docs/programmes.md 1.4):"]
    return "\n".join([*head, *(f"#   {line}" for line in lines), "", text])


def parse_assignment(expr: str) -> tuple[str, Any]:
    """Split a ``PATH=VALUE`` override into its dotted path and its value.

    Args:
        expr: For example ``"programmes.mentorship.n_learners_per_guide_max=3"``.

    Returns:
        The path and the value (a TOML value when VALUE parses as one, else the string).

    Raises:
        ScenarioError: If there is no ``=`` or the path is empty.
    """
    key, sep, text = expr.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ScenarioError(
            f"--set {expr!r}: expected PATH=VALUE, e.g. turnover.p_quit_per_week=0.005"
        )
    if key.count(".") >= MAX_NESTING:
        raise ScenarioError(
            f"--set {_short(expr)}: the path has {key.count('.') + 1} parts; at most "
            f"{MAX_NESTING} are allowed (a scenario's paths have only a few, e.g. "
            "turnover.p_quit_per_week)"
        )
    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return key, text.strip()
    except RecursionError:
        raise _deep_value(expr) from None
    # The value sits as deep as its path is long.
    if _too_deep(value, MAX_NESTING - key.count(".") - 1) is not None:
        raise _deep_value(expr)
    return key, value


def _deep_value(expr: str) -> ScenarioError:
    return ScenarioError(
        f"--set {_short(expr)}: the value is nested more than {MAX_NESTING} levels deep "
        f"(arrays or tables inside each other); {_NESTING_FIX}"
    )


# --- reading -------------------------------------------------------------------------


def _read_with_extends(
    path: Path, stack: tuple[Path, ...], origins: dict[str, str]
) -> dict[str, Any]:
    """Read a file and the files it extends; record in ``origins`` which file set each value."""
    resolved = path.resolve()
    if resolved in stack:
        chain = " -> ".join(str(p) for p in (*stack, resolved))
        raise ScenarioError(f"{path}: scenario files extend each other in a cycle: {chain}")
    raw = _read_toml(path)
    org = raw.get("organisation")
    for key in ("source", "network"):
        if isinstance(org, dict) and isinstance(org.get(key), str) and org[key]:
            # A data file is named relative to the scenario file that names it.
            org[key] = str((path.parent / org[key]).resolve())
    cal = raw.get("calibration")
    if isinstance(cal, dict) and isinstance(cal.get("history"), str) and cal["history"]:
        cal["history"] = str((path.parent / cal["history"]).resolve())
    parent = raw.pop("extends", None)
    if parent is None:
        base: dict[str, Any] = {}
    elif not isinstance(parent, str):
        raise ScenarioError(
            f"{path}: extends = {parent!r}: must be a file name (a string), relative to this file"
        )
    elif len(stack) >= MAX_EXTENDS:
        raise ScenarioError(
            f"{path}: extends = {parent!r}: the chain of extends from {stack[0]} is longer "
            f"than {MAX_EXTENDS} files; at most {MAX_EXTENDS} levels are allowed; extend a "
            "file closer to the base (such as baseline.toml) instead"
        )
    else:
        parent_path = path.parent / parent
        if not parent_path.is_file():
            raise ScenarioError(f"{path}: extends = {parent!r}: no such file {parent_path}")
        base = _read_with_extends(parent_path, (*stack, resolved), origins)
    for key in _leaf_paths(raw):
        _forget(origins, key)
        origins[key] = str(resolved)
    return _merge(base, raw)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = read_text(path, "save the scenario as UTF-8 TOML")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a folder, expected a scenario file (.toml)") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the file ({exc.strerror})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: TOML syntax error: {exc}") from None
    except RecursionError:
        raise ScenarioError(
            f"{path}: arrays or tables are nested too deeply to read (more than "
            f"{MAX_NESTING} levels are refused anyway); {_NESTING_FIX}"
        ) from None
    deep = _too_deep(raw, MAX_NESTING)
    if deep is not None:
        raise ScenarioError(
            f"{path}: {deep} is nested more than {MAX_NESTING} levels deep (arrays or "
            f"tables inside each other); {_NESTING_FIX}"
        )
    return raw


def _too_deep(value: Any, limit: int) -> str | None:
    """The path of a value nested more than ``limit`` tables or arrays deep, or None.

    A dotted key (``"a.b" = 1`` in an arm's overrides) counts as the tables it stands
    for. The walk uses its own stack, not Python's, so any depth that was parsed is
    measured.
    """
    todo: list[tuple[Any, str, int]] = [(value, "", 0)]
    while todo:
        node, where, depth = todo.pop()
        if isinstance(node, Mapping):
            children = [
                (v, f"{where}.{k}" if where else str(k), depth + 1 + str(k).count("."))
                for k, v in node.items()
            ]
        elif isinstance(node, list):
            children = [(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(node)]
        else:
            continue
        for _, path, child_depth in children:
            if child_depth > limit:
                return _short_path(path)
        todo.extend(children)
    return None


def _short_path(where: str) -> str:
    return where if len(where) <= 60 else where[:57] + "..."


def _merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _expand_dotted(table: Mapping[str, Any]) -> dict[str, Any]:
    """Turn ``{"a.b": 1}`` into ``{"a": {"b": 1}}``, recursively."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        v = _expand_dotted(value) if isinstance(value, Mapping) else value
        parts = key.split(".")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if isinstance(v, Mapping) and isinstance(node.get(parts[-1]), Mapping):
            node[parts[-1]] = _merge(node[parts[-1]], v)
        else:
            node[parts[-1]] = v
    return out


def _set_dotted(raw: dict[str, Any], key: str, value: Any) -> None:
    """Set ``a.b.c = value``; a table value merges into an existing table, like a file."""
    node = raw
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    old = node.get(parts[-1])
    if isinstance(value, Mapping) and isinstance(old, Mapping):
        node[parts[-1]] = _merge(old, value)
    else:
        node[parts[-1]] = value


def _leaf_paths(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the non-table values in a nested mapping."""
    out = []
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.extend(_leaf_paths(value, f"{path}."))
        else:
            out.append(path)
    return out


def _forget(origins: dict[str, str], key: str) -> None:
    """Drop the origins of ``key`` and of everything under it (it is being replaced)."""
    for k in [k for k in origins if k == key or k.startswith(f"{key}.")]:
        del origins[k]


def _origin(where: str, origins: Mapping[str, str]) -> str:
    """Where the value at ``where`` came from, as " (...)", or "" for the top file.

    The closest enclosing path wins; failing that, the first path inside ``where`` (so a
    table that ``--set a.b.c=1`` created is traced back to that option).
    """
    best = max(
        (k for k in origins if where == k or where.startswith(f"{k}.")), key=len, default=None
    )
    if best is None:
        best = next((k for k in origins if k.startswith(f"{where}.")), None)
    return f" ({origins[best]})" if best is not None else ""


# --- validation and messages -----------------------------------------------------------


def _validate(raw: Mapping[str, Any], source: str, origins: Mapping[str, str]) -> Scenario:
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        lines = [_describe(err, raw, origins) for err in exc.errors()]
        head = f"{source}: invalid scenario ({len(lines)} problem{'s' * (len(lines) > 1)})"
        raise ScenarioError("\n  ".join([head, *lines])) from None


def _describe(err: Mapping[str, Any], raw: Mapping[str, Any], origins: Mapping[str, str]) -> str:
    loc = _clean_loc(err["loc"])
    where = ".".join(str(p) for p in loc) or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        valid = _valid_keys(loc[:-1], raw)
        hint = did_you_mean(str(loc[-1]), valid)
        origin = _origin(where, origins)
        return f"{where}{origin}: unknown key{hint}; valid keys here: {', '.join(valid)}"
    is_kind = len(loc) == 3 and loc[0] == "programmes" and loc[2] == "kind"
    allowed = ", ".join(PROGRAMME_KINDS)
    if is_kind and kind == "missing":
        origin = _origin(".".join(loc[:2]), origins)
        return f"{where}: missing{origin}; every programme needs a kind, one of: {allowed}"
    if is_kind:
        tag = err.get("input")
        hint = did_you_mean(tag, PROGRAMME_KINDS) if isinstance(tag, str) else ""
        return (
            f"{where} = {_short(tag)}{_origin(where, origins)}: not a programme kind{hint}; "
            f"allowed kinds: {allowed}"
        )
    if kind == "missing":
        return f"{where}: required value is missing"
    if kind == "unsafe_name":
        return _describe_name(loc, err, origins)
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "value_error":
        # A check across several fields of a table: the message names the fields.
        return msg if not loc else f"{where}: {msg}"
    return f"{where} = {_value(err)}{_origin(where, origins)}: {_allowed(msg)}"


def _describe_name(loc: tuple[Any, ...], err: Mapping[str, Any], origins: Mapping[str, str]) -> str:
    """The message for a scenario, arm or programme name that cannot be part of a file name."""
    name = str(err.get("input"))
    suggestion = safe_name(name)
    fix = f"rename it, e.g. {suggestion!r}" if suggestion else "rename it"
    if loc == ("name",):
        return (
            f"name = {_short(name)}{_origin('name', origins)}: {err['msg']} (it names the "
            f"results folder); {fix}"
        )
    # A table key: loc is (table, name, "[key]").
    table = ".".join(str(p) for p in loc[:-2])
    what = {"arms": "arm", "programmes": "programme"}.get(table, "name")
    where = f"{table}.{loc[-2]}"
    return (
        f"{table}: {what} name {_short(name)}{_origin(where, origins)} {err['msg']} (it "
        f"becomes part of file names); {fix}"
        + (", and use the new name in every arm's programmes" if what == "programme" else "")
    )


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # Pydantic adds the tag of a discriminated union ("mentorship") to the location.
    return tuple(
        part
        for i, part in enumerate(loc)
        if not (i >= 2 and loc[i - 2] == "programmes" and part in PROGRAMME_KINDS)
    )


def _value(err: Mapping[str, Any]) -> str:
    return _short(err.get("input"))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed(msg: str) -> str:
    return msg[0].lower() + msg[1:] if msg else msg


def _valid_keys(loc: tuple[Any, ...], raw: Mapping[str, Any]) -> list[str]:
    """Field names of the table at ``loc``, following dict values and programme kinds."""
    model: Any = Scenario
    node: Any = raw
    for part in loc:
        node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(str(part))
            if field is None:
                return []
            model = field.annotation
        else:
            model = _dict_value_type(model)
        model = _unwrap(model, node)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _dict_value_type(tp: Any) -> Any:
    args = typing.get_args(tp)
    return args[1] if typing.get_origin(tp) is dict and len(args) == 2 else None


def _unwrap(tp: Any, node: Any) -> Any:
    """Resolve Annotated and the programme union (by the raw ``kind``) to a class."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        kind = node.get("kind") if isinstance(node, Mapping) else None
        return PROGRAMME_KINDS.get(kind) if isinstance(kind, str) else None
    return tp
