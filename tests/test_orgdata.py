"""Loading a real organisation from an HR export: the happy path and every refusal."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import ScenarioError
from sim.model.workplace import WorkplaceModel
from sim.scenario.loading import dump_scenario, load_scenario
from sim.scenario.orgdata import DataError, load_roster

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "scenarios" / "data" / "example_org.csv"

HEADER = "employee_id,manager_id,level,team,tenure_years"
GOOD = [
    "A,,4,board,10",
    "B,A,2,sales,3",
    "C,B,0,sales,1.5",
    "D,B,1,sales,0.5",
]


def scenario_for(tmp_path: Path, lines: list[str] | bytes, name: str = "org.csv", **org):
    data = tmp_path / name
    if isinstance(lines, bytes):
        data.write_bytes(lines)
    else:
        data.write_text("\n".join(lines) + "\n")
    extra = "".join(f"{k} = {v}\n" for k, v in org.items())
    toml = tmp_path / "s.toml"
    toml.write_text(
        f'extends = "{ROOT / "scenarios" / "baseline.toml"}"\nname = "data"\n'
        f'[organisation]\nsource = "{name}"\n{extra}'
    )
    return toml


def test_example_file_loads_and_runs():
    scenario = load_scenario(ROOT / "scenarios" / "from_data.toml")
    frame = pd.read_csv(EXAMPLE)
    assert scenario.organisation.n_employees == len(frame)
    roster = load_roster(scenario)
    model = WorkplaceModel(scenario, arm="both")
    wf = model.workforce
    # Ratings of 1-5 become (r - 1) / 4; missing ratings are drawn by the model.
    rated = frame["skill_technical"].notna().to_numpy()
    np.testing.assert_allclose(wf.skill[rated, 0], (frame["skill_technical"][rated] - 1) / 4)
    assert np.isnan(roster.skill[~rated, 0]).all() and not np.isnan(wf.skill[:, 0]).any()
    np.testing.assert_allclose(wf.tenure_weeks, frame["tenure_years"] * 52)
    yes = (frame["participant"] == "yes").to_numpy()
    assert (wf.propensity[yes, 0] == 0).all() and (wf.propensity[~yes, 0] == 1).all()
    model.run(10)
    assert wf.occupied.all()


def test_reporting_tree_levels_and_tenure_weeks(tmp_path):
    lines = [
        "employee_id,manager_id,level,team,tenure_weeks",
        "A,,executive,board,500",
        "B,A,manager,ops,100",
        "C,B,0,ops,4",
    ]
    scenario = load_scenario(scenario_for(tmp_path, lines))
    model = WorkplaceModel(scenario)
    wf = model.workforce
    assert wf.level.tolist() == [4, 2, 0]
    assert wf.manager.tolist() == [-1, 0, 1]
    assert wf.tenure_weeks.tolist() == [500, 100, 4]


def test_parquet_export_loads(tmp_path):
    frame = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    frame.to_parquet(tmp_path / "org.parquet")
    toml = tmp_path / "s.toml"
    toml.write_text(
        f'extends = "{ROOT / "scenarios" / "baseline.toml"}"\nname = "pq"\n'
        '[organisation]\nsource = "org.parquet"\n'
    )
    assert load_scenario(toml).organisation.n_employees == len(frame)


BAD = [
    pytest.param(
        ["employee_id,manager,level,team,tenure_years", "A,,1,t,1"],
        ["unknown columns 'manager'", "did you mean 'manager_id'"],
        id="misspelt-column",
    ),
    pytest.param(
        ["employee_id,manager_id,level,tenure_years", "A,,1,1"],
        ["missing columns team"],
        id="missing-column",
    ),
    pytest.param(
        [HEADER, *GOOD, "C,A,0,x,1", "C,A,0,x,1"],
        ["column employee_id", "3 rows (4, 6, 7)", "repeated"],
        id="duplicate-ids",
    ),
    pytest.param(
        [HEADER, *GOOD, "E,ZZ,0,x,1"],
        ["column manager_id", "row (6)", "names no employee_id"],
        id="unknown-manager",
    ),
    pytest.param(
        [HEADER, "A,,4,b,1", "B,C,2,b,1", "C,B,2,b,1"], ["cycle", "rows (3, 4)"], id="cycle"
    ),
    pytest.param(
        [HEADER, "A,,4,b,1", "B,,4,b,1", "C,A,0,b,1"],
        ["exactly one top", "found 2", "rows 2, 3"],
        id="several-roots",
    ),
    pytest.param(
        [HEADER, *GOOD, "E,A,7,x,1", "F,A,boss,x,1"],
        ["column level", "2 rows (6, 7)", "allowed: 0..4"],
        id="level-out-of-range",
    ),
    pytest.param(
        [HEADER + ",skill_digital", "A,,4,b,1,5", "B,A,2,b,1,9", "C,B,0,b,1,high"],
        ["column skill_digital", "row (4)", "not a number"],
        id="non-numeric-rating",
    ),
    pytest.param(
        [HEADER + ",skill_digital", "A,,4,b,1,5", "B,A,2,b,1,9", "C,B,0,b,1,3"],
        ["column skill_digital", "row (3)", "outside the scale 1-5"],
        id="out-of-scale",
    ),
    pytest.param(
        [HEADER, "A,,4,b,-2", "B,A,2,b,x"],
        ["column tenure_years", "2 rows (2, 3)"],
        id="bad-tenure",
    ),
    pytest.param(
        [HEADER + ",participant", "A,,4,b,1,maybe", "B,A,2,b,1,yes"],
        ["column participant", "row (2)"],
        id="bad-participant",
    ),
    pytest.param([HEADER], ["no employees"], id="header-only"),
    pytest.param(b"", ["the file is empty"], id="empty-file"),
    pytest.param(
        b"employee_id;manager_id;level;team;tenure_years\nA;;4;b;1\n",
        ["separated by semicolons"],
        id="wrong-delimiter",
    ),
    pytest.param(
        "employee_id,manager_id,level,team,tenure_years\nA,,4,Équipe,1\n".encode("latin-1"),
        ["not UTF-8"],
        id="wrong-encoding",
    ),
]


@pytest.mark.parametrize(("lines", "needles"), BAD)
def test_bad_data_is_refused_with_file_column_rows_and_fix(tmp_path, lines, needles):
    toml = scenario_for(tmp_path, lines)
    with pytest.raises(DataError) as err:
        load_scenario(toml)
    message = str(err.value)
    assert str(tmp_path / "org.csv") in message
    for needle in needles:
        assert needle in message, message


def test_bad_data_via_the_cli_exits_2_and_writes_nothing(tmp_path, capsys, monkeypatch):
    from sim.app.cli import main

    monkeypatch.chdir(tmp_path)
    toml = scenario_for(tmp_path, [HEADER, *GOOD, "E,ZZ,0,x,1"])
    assert main(["run", str(toml)]) == 2
    err = capsys.readouterr().err
    assert "manager_id" in err and "Traceback" not in err
    assert not (tmp_path / "results").exists()


def test_missing_data_file_is_named(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text(
        f'extends = "{ROOT / "scenarios" / "baseline.toml"}"\nname = "x"\n'
        '[organisation]\nsource = "nowhere.csv"\n'
    )
    with pytest.raises(DataError, match=r"nowhere\.csv: cannot read"):
        load_scenario(toml)


def test_large_export_loads(tmp_path):
    n = 20_000
    ids = np.arange(n)
    managers = np.where(ids == 0, -1, (ids - 1) // 8)
    levels = np.clip(4 - np.floor(np.log(ids + 1) / np.log(8)).astype(int), 0, 4)
    frame = pd.DataFrame(
        {
            "employee_id": ids,
            "manager_id": pd.Series(managers).astype(str).replace("-1", ""),
            "level": levels,
            "team": managers.clip(0) // 4,
            "tenure_years": 2.5,
            "skill_technical": 3,
        }
    )
    frame.to_csv(tmp_path / "big.csv", index=False)
    toml = tmp_path / "s.toml"
    toml.write_text(
        f'extends = "{ROOT / "scenarios" / "baseline.toml"}"\nname = "big"\n'
        '[organisation]\nsource = "big.csv"\n'
    )
    scenario = load_scenario(toml)
    assert scenario.organisation.n_employees == n
    assert load_roster(scenario).manager[1:].max() < n


def test_an_empty_source_is_refused(tmp_path):
    toml = scenario_for(tmp_path, [HEADER, *GOOD])
    toml.write_text(toml.read_text().replace('source = "org.csv"', 'source = ""'))
    with pytest.raises(ScenarioError, match=r"organisation.source: is empty.*remove the key"):
        load_scenario(toml)


def test_an_empty_source_from_set_is_refused():
    with pytest.raises(ScenarioError, match=r"organisation.source: is empty"):
        load_scenario(ROOT / "scenarios" / "baseline.toml", ["organisation.source="])


def test_a_synthetic_scenario_is_written_without_source_and_reads_back(tmp_path):
    scenario = load_scenario(ROOT / "scenarios" / "mentorship_vs_peer_coaching.toml")
    text = dump_scenario(scenario)
    assert "source" not in tomllib.loads(text)["organisation"]
    (tmp_path / "resolved.toml").write_text(text)
    assert load_scenario(tmp_path / "resolved.toml") == scenario
    with_data = load_scenario(ROOT / "scenarios" / "from_data.toml")
    assert tomllib.loads(dump_scenario(with_data))["organisation"]["source"] == str(
        EXAMPLE.resolve()
    )
