"""Loading a real organisation from an HR export: the happy path and every refusal."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hostile.orgdata import BAD_DATA

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


BAD = [pytest.param(lines, needles, id=name) for name, lines, needles in BAD_DATA]


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


def _tree(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids 1..n and each one's manager (0 for the top): eight reports per manager."""
    ids = np.arange(1, n + 1)
    return ids, np.where(ids == 1, 0, (ids - 2) // 8 + 1)


def _parquet_scenario(tmp_path: Path, frame: pd.DataFrame) -> Path:
    frame.to_parquet(tmp_path / "org.parquet")
    toml = tmp_path / "s.toml"
    toml.write_text(
        f'extends = "{ROOT / "scenarios" / "baseline.toml"}"\nname = "pq"\n'
        '[organisation]\nsource = "org.parquet"\n'
    )
    return toml


@pytest.mark.parametrize("dtype", ["Int64", "float64", "string", "object"])
def test_parquet_numeric_ids_load_whatever_the_manager_column_type(tmp_path, dtype):
    # Pandas stores an integer column with a gap (the top's manager) as float (2.0) or,
    # asked to, as nullable Int64; either must match the integer employee ids.
    ids, boss = _tree(500)
    manager = pd.Series(boss, dtype="Int64").mask(boss == 0)
    if dtype == "float64":
        manager = manager.astype("float64")
    elif dtype in ("string", "object"):
        manager = manager.astype("float64").astype(str).replace("nan", None).astype(dtype)
    frame = pd.DataFrame(
        {
            "employee_id": ids,
            "manager_id": manager,
            "level": np.where(ids == 1, 4, 0),
            "team": "t",
            "tenure_years": 1.0,
        }
    )
    roster = load_roster(load_scenario(_parquet_scenario(tmp_path, frame)))
    assert roster.n == 500
    assert roster.manager.tolist() == (boss - 1).tolist()


def test_ids_written_as_whole_floats_match_integer_ids_in_a_csv(tmp_path):
    lines = [HEADER, "1,,4,b,1", "2,1.0,2,b,1", "3.0,2,0,b,1", "4,3,0,b,1"]
    roster = load_roster(load_scenario(scenario_for(tmp_path, lines)))
    assert roster.manager.tolist() == [-1, 0, 1, 2]


@pytest.mark.parametrize("name", ["org.csv", "org.parquet"])
def test_a_folder_as_data_file_is_refused(tmp_path, name):
    (tmp_path / name).mkdir()
    toml = scenario_for(tmp_path, [HEADER], name="ignored.csv")
    toml.write_text(toml.read_text().replace("ignored.csv", name))
    with pytest.raises(DataError, match=rf"{name}: is a folder, not a file"):
        load_scenario(toml)


def test_data_errors_quote_the_offending_values(tmp_path):
    lines = [HEADER, *GOOD, "E,ZZ-17,0,x,1", "F,A,boss,x,-3"]
    with pytest.raises(DataError) as err:
        load_scenario(scenario_for(tmp_path, lines))
    message = str(err.value)
    assert "row (6): the value names no employee_id in the file ('ZZ-17')" in message
    assert "row (7): the value is not a level ('boss')" in message
    assert "row (7): the value is not a number >= 0 ('-3')" in message
    # Only the offending cells: not the rest of the row.
    assert "'F'" not in message and "'x'" not in message


def test_quoted_values_are_few_and_short(tmp_path):
    long = "Q" * 200
    lines = [HEADER, "A,,4,b,1", *(f"E{i},{long}{i},0,b,1" for i in range(8))]
    with pytest.raises(DataError) as err:
        load_scenario(scenario_for(tmp_path, lines))
    message = str(err.value)
    assert "8 rows (3, 4, 5, 6, 7 and 3 more)" in message
    assert message.count("QQQ...") == 5 and long not in message


def test_row_numbers_are_file_lines_after_a_blank_line(tmp_path):
    lines = [HEADER, "A,,4,b,1", "", "", "B,A,2,b,1", "C,ZZ,0,b,1"]
    with pytest.raises(DataError, match=r"1 row \(6\): the value names no employee_id"):
        load_scenario(scenario_for(tmp_path, lines))


def test_row_numbers_are_file_lines_after_a_multiline_field(tmp_path):
    # A record that spans lines 3-5: the next record starts on line 6, the one with an
    # error inside a multi-line value on line 7.
    lines = [
        HEADER,
        "A,,4,b,1",
        'B,A,2,"sales',
        "north",
        'east",1',
        "C,ZZ,0,b,1",
        'D,A,9,"x',
        'y",1',
    ]
    with pytest.raises(DataError) as err:
        load_scenario(scenario_for(tmp_path, lines))
    message = str(err.value)
    assert "column manager_id: 1 row (6)" in message
    assert "column level: 1 row (7)" in message


def test_a_roster_too_small_for_the_model_names_the_file_and_the_minimum(tmp_path):
    with pytest.raises(DataError) as err:
        load_scenario(scenario_for(tmp_path, [HEADER, "A,,4,board,10"]))
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'org.csv'}: the file has 1 employee")
    assert "at least 2 (organisation.n_employees >= 2)" in message
    assert "arm" not in message


@pytest.mark.parametrize("word", ["None", "nan", "NA", "null", "N/A", "NaN", "#N/A"])
def test_na_like_words_are_ids_in_id_columns(tmp_path, word):
    # Only an empty cell is missing in employee_id, manager_id and team.
    lines = [HEADER, "A,,4,b,1", f"{word},A,2,{word},1", f"C,{word},0,{word},1"]
    roster = load_roster(load_scenario(scenario_for(tmp_path, lines)))
    assert roster.manager.tolist() == [-1, 0, 1]
    assert roster.team.tolist() == [0, 1, 1]


def test_na_like_words_are_ids_in_a_parquet_file(tmp_path):
    frame = pd.DataFrame(
        {
            "employee_id": ["A", "None", "nan"],
            "manager_id": [None, "A", "None"],
            "level": [4, 2, 0],
            "team": ["b", "NA", "NA"],
            "tenure_years": [1.0, 1.0, 1.0],
        }
    )
    roster = load_roster(load_scenario(_parquet_scenario(tmp_path, frame)))
    assert roster.manager.tolist() == [-1, 0, 1]


def test_empty_ratings_keep_their_documented_na_words(tmp_path):
    lines = [HEADER + ",skill_digital", "A,,4,b,1,NA", "B,A,2,b,1,nan", "C,B,0,b,1,"]
    roster = load_roster(load_scenario(scenario_for(tmp_path, lines)))
    assert np.isnan(roster.skill).all()


def test_every_problem_is_reported_in_one_message(tmp_path):
    lines = [
        HEADER + ",skill_digital,participant",
        "A,,4,b,1,5,yes",
        "B,A,2,,1,9,yes",
        "B,A,7,b,x,3,maybe",
        "D,ZZ,0,b,1,high,no",
    ]
    with pytest.raises(DataError) as err:
        load_scenario(scenario_for(tmp_path, lines))
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'org.csv'}: 8 problems in the organisation data")
    for needle in [
        "column employee_id: 2 rows (3, 4): the value is repeated ('B', 'B')",
        "column manager_id: 1 row (5): the value names no employee_id in the file ('ZZ')",
        "column level: 1 row (4)",
        "column team: 1 row (3): the value is empty",
        "column tenure_years: 1 row (4)",
        "column skill_digital: 1 row (5): the value is not a number ('high')",
        "column skill_digital: 1 row (3): the value is outside the scale 1-5 ('9')",
        "column participant: 1 row (4): the value is not yes/no ('maybe')",
    ]:
        assert needle in message, message


def test_column_and_row_problems_are_reported_together(tmp_path):
    lines = ["employee_id,manager_id,level,teem,tenure_years", "A,,4,b,1", "B,A,9,b,1"]
    with pytest.raises(DataError) as err:
        load_scenario(scenario_for(tmp_path, lines))
    message = str(err.value)
    assert "did you mean 'team'" in message and "missing columns team" in message
    assert "column level: 1 row (3)" in message


def test_rows_with_more_fields_than_the_header_are_refused(tmp_path):
    # Pandas would have taken the first column as an index and shifted every value.
    with pytest.raises(DataError, match=r"1 row \(3\) has more fields than the header's 5"):
        load_scenario(scenario_for(tmp_path, [HEADER, "A,,4,b,1", "B,A,0,Smith, J.,1"]))


def test_an_unclosed_quote_names_the_line_where_the_record_starts(tmp_path):
    lines = [HEADER, "A,,4,b,1", 'B,A,0,"sales,1', "C,A,0,b,1"]
    with pytest.raises(DataError, match=r"org\.csv: line 3: not valid CSV"):
        load_scenario(scenario_for(tmp_path, lines))


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


def _every_text(folder: Path) -> dict[str, str]:
    """The text of every file under a folder; Parquet tables as CSV (cells, columns)."""
    texts = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            texts[str(path)] = pd.read_parquet(path).to_csv()
        else:
            # Embedded figures are pixels; their base64 could spell anything by chance.
            text = path.read_bytes().decode("latin-1")
            texts[str(path)] = re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,", text)
    return texts


def test_no_employee_id_or_team_name_reaches_the_results(tmp_path, capsys, monkeypatch):
    # docs/data.md ("Personal data"): the roster keeps row positions, not ids, so a
    # results folder can be shared without the HR ids; the file's path is recorded.
    from sim.app.cli import main

    monkeypatch.chdir(tmp_path)
    ids = [f"Zq{i:03d}Person" for i in range(12)]
    teams = [f"Xv{i}Team" for i in range(3)]
    lines = [HEADER + ",skill_technical,engagement,participant"]
    for i, name in enumerate(ids):
        boss = "" if i == 0 else ids[(i - 1) // 4]
        level = 4 if i == 0 else 2 if i < 4 else 0
        lines.append(f"{name},{boss},{level},{teams[i // 4]},{i % 5 + 1},{i % 5 + 1},3,yes")
    toml = scenario_for(tmp_path, lines, name="hr_export.csv")
    out = tmp_path / "results"
    argv = ["run", str(toml), "--replicates", "1", "--set", "horizon_weeks=3", "--out", str(out)]
    assert main([*argv, "--no-progress"]) == 0
    printed = capsys.readouterr()
    texts = _every_text(out)
    assert {Path(p).name for p in texts} >= {"metadata.json", "report.html", "summary.csv"}
    for where, text in [*texts.items(), ("stdout", printed.out), ("stderr", printed.err)]:
        for secret in [*ids, *teams]:
            assert secret not in text, f"{secret!r} found in {where}"
    path = str(tmp_path / "hr_export.csv")
    recorded = [Path(p).name for p, text in texts.items() if path in text]
    assert sorted(recorded) == ["metadata.json", "report.html", "scenario.resolved.toml"]
