"""Generate docs/parameters.md from the parameter declarations in :mod:`sim.scenario`.

Run ``python -m sim.docgen > docs/parameters.md`` (or ``make docs``); a test checks that
the committed file is up to date.
"""

from __future__ import annotations

import typing

from pydantic import BaseModel

from sim.scenario import PROGRAMME_KINDS, Scenario

SECTIONS = ("organisation", "learning", "engagement", "turnover", "promotion", "costs")


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
    for kind, model in PROGRAMME_KINDS.items():
        parts += [
            "",
            f"## Programme kind `{kind}`",
            "",
            (model.__doc__ or "").strip(),
            f'Set under `[programmes.NAME]` with `kind = "{kind}"`.',
            "",
            head,
            *_rows(model, "programmes.NAME."),
        ]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render(), end="")
