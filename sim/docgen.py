"""Generate docs/parameters.md from the parameter declarations in :mod:`sim.scenario`.

Run ``python -m sim.docgen > docs/parameters.md`` (or ``make docs``); a test checks that
the committed file is up to date.
"""

from __future__ import annotations

import typing

from pydantic import BaseModel

from sim.designs import DESIGNS
from sim.scenario import Programme, Scenario

SECTIONS = ("organisation", "learning", "engagement", "turnover", "promotion", "costs", "sweep")


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        if not isinstance(extra, dict) or "unit" not in extra:
            continue
        default = field.get_default(call_default_factory=True)
        if isinstance(default, dict):
            default = "; ".join(f"{k}: {list(v)}" for k, v in default.items())
        elif isinstance(default, tuple):
            default = list(default)
        rows.append(
            f"| `{prefix}{name}` | {default} | {extra['unit']} | {field.description} "
            f"| {extra['source']} |"
        )
    return rows


def _show(value: object) -> str:
    return str(list(value)) if isinstance(value, tuple) else repr(value)


def render() -> str:
    """Return the Markdown text of docs/parameters.md."""
    head = "| parameter | default | unit | meaning | source |\n|---|---|---|---|---|"
    parts = [
        "# Parameters",
        "",
        "Generated from `sim/scenario.py` by `make docs`; do not edit by hand.",
        'Every default names its source (author, year) or says "assumption".',
        "Values are set in scenario files by their dotted path (e.g. `learning.skill_floor`).",
        "",
        "## Run",
        "",
        head,
        *_rows(Scenario, ""),
    ]
    for section in SECTIONS:
        annotation = Scenario.model_fields[section].annotation
        model = typing.cast(type[BaseModel], annotation)
        parts += ["", f"## {section}", "", (model.__doc__ or "").strip(), "", head]
        parts += _rows(model, f"{section}.")
    parts += [
        "",
        "## Programmes",
        "",
        (Programme.__doc__ or "").strip(),
        'Set under `[programmes.NAME]` with `kind = "<design>"`.',
        "",
        head,
        *_rows(Programme, "programmes.NAME."),
        "",
        "## Programme designs: the values each design sets",
        "",
        "Components not listed keep the defaults above. See docs/programmes.md.",
        "",
        "| design | values |",
        "|---|---|",
    ]
    for kind, design in DESIGNS.items():
        values = ", ".join(f"`{k}` = {_show(v)}" for k, v in design.preset.items())
        parts.append(f"| `{kind}` | {values} |")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render(), end="")
