"""Every scenario file validates and runs; the parameter docs match the code."""

from pathlib import Path

import pytest

from sim.app.docgen import SECTIONS, render
from sim.experiments.run import run_scenario
from sim.scenario.loading import dump_scenario, load_scenario, validate_scenario
from sim.scenario.schema import PROGRAMME_KINDS, Prior, Scenario, Target

ROOT = Path(__file__).parent.parent
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.toml"))


def test_there_are_scenarios():
    assert len(SCENARIOS) >= 3


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_validates_and_runs_on_a_short_horizon(path):
    scenario = load_scenario(path, ["organisation.n_employees=80", "horizon_weeks=6"])
    results = run_scenario(scenario, replicates=2, progress=False)
    ts = results.timeseries
    assert set(ts["arm"]) == set(scenario.arms)
    assert len(ts) == len(scenario.arms) * 2 * 7
    assert not ts["mean_skill"].isna().any()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_resolved_scenario_round_trips(path, tmp_path):
    scenario = load_scenario(path)
    out = tmp_path / "resolved.toml"
    out.write_text(dump_scenario(scenario))
    assert load_scenario(out) == scenario


def test_every_parameter_has_unit_source_and_description():
    models = [Scenario, *PROGRAMME_KINDS.values()]
    models += [Scenario.model_fields[s].annotation for s in SECTIONS]
    skip = {
        "name",
        "description",
        "programmes",
        "arms",
        "kind",
        "organisation",
        "learning",
        "people",
        "informal",
        "departures",
        "skill_seeds",
        "skill_demand",
        "engagement",
        "turnover",
        "promotion",
        "costs",
        "observation",
        "sweep",
        "calibration",
        "optimise",
        "pilot",
    }
    models += [Prior, Target]  # the entries of [calibration]
    for model in models:
        for name, field in model.model_fields.items():
            if name in skip:
                continue
            extra = field.json_schema_extra or {}
            assert extra.get("unit"), f"{model.__name__}.{name} has no unit"
            assert extra.get("source"), f"{model.__name__}.{name} has no source"
            assert field.description, f"{model.__name__}.{name} has no description"


def test_parameter_docs_are_up_to_date():
    committed = (ROOT / "docs" / "parameters.md").read_text()
    assert committed == render(), "docs/parameters.md is stale: run `make docs`"


def test_defaults_alone_make_a_valid_scenario():
    scenario = validate_scenario({"name": "defaults"})
    assert list(scenario.arms) == ["baseline"]


def test_calibration_table_is_up_to_date():
    from sim.app.docgen import update_calibration

    text = (ROOT / "docs" / "calibration.md").read_text()
    assert text == update_calibration(text), "docs/calibration.md is stale: run `make docs`"
    assert "dur_skill_half_life_weeks" in text and "Tatel & Ackerman 2025" in text


def test_docgen_writes_the_page_whole_or_not_at_all(tmp_path, monkeypatch):
    from sim.app import docgen

    page = tmp_path / "parameters.md"
    assert docgen.main([str(page)]) == 0
    assert page.read_text(encoding="utf-8") == render()

    def broken() -> str:
        raise RuntimeError("render failed")

    monkeypatch.setattr(docgen, "render", broken)
    with pytest.raises(RuntimeError, match="render failed"):
        docgen.main([str(page)])
    assert page.read_text(encoding="utf-8") == render()  # the old page, intact
    assert [p.name for p in tmp_path.iterdir()] == ["parameters.md"]  # no temporary file


def test_docgen_updates_the_calibration_table_in_place(tmp_path):
    from sim.app import docgen

    page = tmp_path / "calibration.md"
    stale = (
        (ROOT / "docs" / "calibration.md")
        .read_text(encoding="utf-8")
        .replace("Tatel & Ackerman 2025", "stale")
    )
    page.write_text(stale, encoding="utf-8")
    assert docgen.main(["--calibration", str(page)]) == 0
    assert page.read_text(encoding="utf-8") == docgen.update_calibration(stale)
    assert "Tatel & Ackerman 2025" in page.read_text(encoding="utf-8")
