"""Loading an advice network from an edge list: the happy path and every refusal."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hostile.network import BAD_NETWORK, HEADER, ROSTER

from sim.errors import ScenarioError
from sim.scenario.loading import dump_scenario, load_scenario
from sim.scenario.networkdata import NetworkData, load_network
from sim.scenario.orgdata import DataError, data_provenance, load_roster, roster_rows

ROOT = Path(__file__).parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
EXAMPLE_ORG = ROOT / "scenarios" / "data" / "example_org.csv"
EXAMPLE_ADVICE = ROOT / "scenarios" / "data" / "example_advice.csv"


def _write(path: Path, lines: list[str] | bytes) -> None:
    if isinstance(lines, bytes):
        path.write_bytes(lines)
    else:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def scenario_for(
    tmp_path: Path,
    edges: list[str] | bytes,
    name: str = "advice.csv",
    roster: list[str] | bytes = ROSTER,
) -> Path:
    """A scenario with a roster (org.csv) and an edge list, both next to it."""
    _write(tmp_path / "org.csv", roster)
    _write(tmp_path / name, edges)
    toml = tmp_path / "s.toml"
    toml.write_text(
        f'extends = "{BASELINE}"\nname = "net"\n'
        f'[organisation]\nsource = "org.csv"\nnetwork = "{name}"\n'
    )
    return toml


def _parquet_scenario(tmp_path: Path, edges: pd.DataFrame, roster: pd.DataFrame) -> Path:
    roster.to_parquet(tmp_path / "org.parquet")
    edges.to_parquet(tmp_path / "advice.parquet")
    toml = tmp_path / "s.toml"
    toml.write_text(
        f'extends = "{BASELINE}"\nname = "pq"\n'
        '[organisation]\nsource = "org.parquet"\nnetwork = "advice.parquet"\n'
    )
    return toml


# --- loading ---------------------------------------------------------------------------


def test_the_example_network_loads_onto_the_example_roster():
    scenario = load_scenario(
        ROOT / "scenarios" / "from_data.toml", [f"organisation.network={EXAMPLE_ADVICE}"]
    )
    network = load_network(scenario)
    edges = pd.read_csv(EXAMPLE_ADVICE, dtype={"from_id": str, "to_id": str})
    ids = pd.read_csv(EXAMPLE_ORG, dtype=str)["employee_id"].tolist()
    assert network.n_ties == len(edges)
    assert network.src.tolist() == [ids.index(i) for i in edges["from_id"]]
    assert network.dst.tolist() == [ids.index(i) for i in edges["to_id"]]
    np.testing.assert_array_equal(network.weight, edges["weight"].to_numpy())
    # As docs/data.md describes it: every employee names 2 to 6 advisers.
    named = np.bincount(network.src, minlength=len(ids))
    assert named.min() >= 2 and named.max() <= 6


def test_ties_are_roster_rows_in_file_order(tmp_path):
    network = load_network(
        load_scenario(scenario_for(tmp_path, [HEADER, "D,B,0.4", "B,A,1", "C,D,0.25"]))
    )
    assert isinstance(network, NetworkData)
    assert network.src.dtype == np.int64 and network.dst.dtype == np.int64
    assert network.weight.dtype == np.float64
    assert network.src.tolist() == [3, 1, 2]
    assert network.dst.tolist() == [1, 0, 3]
    assert network.weight.tolist() == [0.4, 1.0, 0.25]
    assert network.path == tmp_path / "advice.csv"


def test_the_weight_column_is_optional_and_defaults_to_one(tmp_path):
    network = load_network(load_scenario(scenario_for(tmp_path, ["from_id,to_id", "B,A", "C,B"])))
    assert network.weight.tolist() == [1.0, 1.0]
    assert network.weight.dtype == np.float64


def test_a_tie_and_its_reverse_are_two_ties(tmp_path):
    # Directed: B seeking advice from A says nothing about A seeking advice from B.
    network = load_network(load_scenario(scenario_for(tmp_path, ["from_id,to_id", "B,A", "A,B"])))
    assert list(zip(network.src, network.dst, strict=True)) == [(1, 0), (0, 1)]


def test_numeric_ids_match_whatever_their_form_in_a_csv(tmp_path):
    roster = [
        "employee_id,manager_id,level,team,tenure_years",
        "1,,4,b,1",
        "2,1,2,b,1",
        "3,2,0,b,1",
    ]
    edges = ["from_id,to_id", "2.0,1", "3,2.00", "3.0,1"]
    network = load_network(load_scenario(scenario_for(tmp_path, edges, roster=roster)))
    assert network.src.tolist() == [1, 2, 2]
    assert network.dst.tolist() == [0, 1, 0]


@pytest.mark.parametrize("dtype", ["int64", "Int64", "float64", "string"])
def test_a_parquet_edge_list_loads_whatever_its_id_type(tmp_path, dtype):
    roster = pd.DataFrame(
        {
            "employee_id": [10, 20, 30, 40],
            "manager_id": pd.Series([None, 10, 20, 20], dtype="Int64"),
            "level": [4, 2, 0, 0],
            "team": "t",
            "tenure_years": 1.0,
        }
    )
    edges = pd.DataFrame({"from_id": [20, 30, 40], "to_id": [10, 20, 30]})
    edges = edges.astype(dtype)
    edges["weight"] = [0.2, 0.6, 1.0]
    network = load_network(load_scenario(_parquet_scenario(tmp_path, edges, roster)))
    assert network.src.tolist() == [1, 2, 3]
    assert network.dst.tolist() == [0, 1, 2]
    assert network.weight.tolist() == [0.2, 0.6, 1.0]


def test_a_parquet_edge_list_of_string_ids_loads(tmp_path):
    roster = pd.read_csv(EXAMPLE_ORG, dtype=str, keep_default_na=False)
    edges = pd.read_csv(EXAMPLE_ADVICE, dtype={"from_id": str, "to_id": str})
    network = load_network(load_scenario(_parquet_scenario(tmp_path, edges, roster)))
    assert network.n_ties == len(edges)
    assert network.src[0] == roster.index[roster["employee_id"] == edges["from_id"][0]][0]


@pytest.mark.parametrize("word", ["NA", "None", "nan", "null"])
def test_na_like_words_are_ids(tmp_path, word):
    # As in the roster: only an empty cell is missing.
    roster = [*ROSTER, f"{word},B,0,sales,1"]
    network = load_network(
        load_scenario(scenario_for(tmp_path, ["from_id,to_id", f"{word},B"], roster=roster))
    )
    assert network.src.tolist() == [4]


def test_the_network_is_named_relative_to_the_scenario_file(tmp_path, monkeypatch):
    toml = scenario_for(tmp_path, [HEADER, "B,A,1"])
    monkeypatch.chdir(ROOT)  # not the scenario's folder
    scenario = load_scenario(toml)
    assert scenario.organisation.network == str((tmp_path / "advice.csv").resolve())


def test_a_scenario_without_network_is_written_without_it(tmp_path):
    scenario = load_scenario(ROOT / "scenarios" / "from_data.toml")
    assert scenario.organisation.network == ""
    assert "network" not in tomllib.loads(dump_scenario(scenario))["organisation"]


def test_a_scenario_with_a_network_is_written_with_it_and_reads_back(tmp_path):
    scenario = load_scenario(scenario_for(tmp_path, [HEADER, "B,A,1"]))
    text = dump_scenario(scenario)
    assert tomllib.loads(text)["organisation"]["network"] == str(tmp_path / "advice.csv")
    (tmp_path / "resolved.toml").write_text(text)
    assert load_scenario(tmp_path / "resolved.toml") == scenario


def test_roster_rows_gives_positions_not_ids(tmp_path):
    scenario = load_scenario(scenario_for(tmp_path, [HEADER, "B,A,1"]))
    rows = roster_rows(scenario, pd.Series(["C", "A", "ZZ", "", "B"], dtype=object))
    assert rows.tolist() == [2, 0, -1, -1, 1]
    # The loaded network holds positions only: no field for an HR id.
    assert {f.name for f in dataclasses.fields(NetworkData)} == {
        "path",
        "sha256",
        "src",
        "dst",
        "weight",
    }


# --- provenance ------------------------------------------------------------------------


def test_provenance_covers_the_network_and_notices_a_change(tmp_path):
    toml = scenario_for(tmp_path, [HEADER, "B,A,1"])
    scenario = load_scenario(toml)
    before = data_provenance(scenario)
    assert before is not None
    assert set(before) == {"source", "sha256", "network", "network_sha256"}
    assert before["network"] == str(tmp_path / "advice.csv")
    assert before["network_sha256"] == load_network(scenario).sha256
    assert before["sha256"] == load_roster(scenario).sha256
    _write(tmp_path / "advice.csv", [HEADER, "B,A,0.5"])
    after = data_provenance(load_scenario(toml))
    assert after is not None
    assert after["network_sha256"] != before["network_sha256"]
    assert after["sha256"] == before["sha256"]


def test_provenance_without_network_keeps_its_two_keys():
    scenario = load_scenario(ROOT / "scenarios" / "from_data.toml")
    assert set(data_provenance(scenario) or {}) == {"source", "sha256"}


def test_a_changed_file_is_reread(tmp_path):
    toml = scenario_for(tmp_path, [HEADER, "B,A,1"])
    assert load_network(load_scenario(toml)).n_ties == 1
    _write(tmp_path / "advice.csv", [HEADER, "B,A,1", "C,B,1"])
    assert load_network(load_scenario(toml)).n_ties == 2


# --- refusals --------------------------------------------------------------------------

BAD = [pytest.param(lines, needles, id=name) for name, lines, needles in BAD_NETWORK]


@pytest.mark.parametrize(("lines", "needles"), BAD)
def test_a_bad_network_is_refused_with_file_column_rows_and_fix(tmp_path, lines, needles):
    toml = scenario_for(tmp_path, lines)
    with pytest.raises(DataError) as err:
        load_scenario(toml)
    message = str(err.value)
    assert message.startswith(str(tmp_path / "advice.csv")), message
    for needle in needles:
        assert needle in message, message


def test_every_problem_is_reported_in_one_message(tmp_path):
    lines = [
        "from_id,to_id,weight,note",
        "B,A,1,x",
        "C,ZZ,1,x",
        "D,D,2,x",
        "B,A,0.5,x",
        "C,,1,x",
        "B,2.0,often,x",
    ]
    with pytest.raises(DataError) as err:
        load_scenario(scenario_for(tmp_path, lines))
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'advice.csv'}: 7 problems in the advice network")
    for needle in [
        "unknown columns 'note'; valid columns: from_id, to_id, weight",
        "column to_id: 1 row (6): the value is empty",
        "column to_id: 2 rows (3, 7): the value names no employee_id in the organisation "
        "data ('ZZ', '2.0')",
        "column to_id: 1 row (4): the value is the from_id of the same row (a tie to "
        "oneself) ('D')",
        "columns from_id, to_id: 2 rows (2, 5): the tie is given more than once "
        "('B -> A', 'B -> A')",
        "column weight: 1 row (7): the value is not a number ('often')",
        "column weight: 1 row (4): the value is outside (0, 1] ('2')",
    ]:
        assert needle in message, message


def test_a_self_tie_and_a_repeat_are_found_through_the_id_rule(tmp_path):
    roster = ["employee_id,manager_id,level,team,tenure_years", "1,,4,b,1", "2,1,2,b,1"]
    with pytest.raises(DataError) as err:
        load_scenario(
            scenario_for(tmp_path, ["from_id,to_id", "2,2.0", "2,1", "2.0,1"], roster=roster)
        )
    message = str(err.value)
    assert "column to_id: 1 row (2)" in message and "a tie to oneself" in message
    assert "columns from_id, to_id: 2 rows (3, 4)" in message


def test_row_numbers_are_file_lines_after_blank_lines(tmp_path):
    with pytest.raises(DataError, match=r"column from_id: 1 row \(5\): the value names no"):
        load_scenario(scenario_for(tmp_path, [HEADER, "B,A,1", "", "", "QQ,A,1"]))


def test_quoted_values_are_few_and_short(tmp_path):
    long = "Q" * 200
    lines = [HEADER, *(f"{long}{i},A,1" for i in range(8))]
    with pytest.raises(DataError) as err:
        load_scenario(scenario_for(tmp_path, lines))
    message = str(err.value)
    assert "8 rows (2, 3, 4, 5, 6 and 3 more)" in message
    assert message.count("QQQ...") == 5 and long not in message


def test_an_unreadable_parquet_file_is_named(tmp_path):
    with pytest.raises(DataError, match=r"advice\.parquet: not a readable Parquet file"):
        load_scenario(scenario_for(tmp_path, b"not parquet", name="advice.parquet"))


def test_an_unknown_file_type_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"advice\.xlsx: unknown file type '\.xlsx'"):
        load_scenario(scenario_for(tmp_path, b"", name="advice.xlsx"))


@pytest.mark.parametrize("name", ["advice.csv", "advice.parquet"])
def test_a_folder_as_network_is_refused(tmp_path, name):
    toml = scenario_for(tmp_path, [HEADER], name="ignored.csv")
    (tmp_path / name).mkdir()
    toml.write_text(toml.read_text().replace("ignored.csv", name))
    with pytest.raises(
        DataError, match=rf"{name}: is a folder, not a file; set organisation.network"
    ):
        load_scenario(toml)


def test_a_missing_network_file_is_named(tmp_path):
    toml = scenario_for(tmp_path, [HEADER], name="ignored.csv")
    toml.write_text(toml.read_text().replace("ignored.csv", "nowhere.csv"))
    with pytest.raises(DataError, match=r"nowhere\.csv: cannot read the advice network"):
        load_scenario(toml)


def test_the_roster_is_checked_before_the_network(tmp_path):
    roster = ["employee_id,manager_id,level,team,tenure_years", "A,,4,b,1", "B,ZZ,0,b,1"]
    with pytest.raises(DataError) as err:
        load_scenario(scenario_for(tmp_path, [HEADER, "B,QQ,1"], roster=roster))
    message = str(err.value)
    assert message.startswith(str(tmp_path / "org.csv")) and "QQ" not in message


def test_a_network_without_a_roster_is_refused(tmp_path):
    _write(tmp_path / "advice.csv", [HEADER, "B,A,1"])
    toml = tmp_path / "s.toml"
    toml.write_text(f'extends = "{BASELINE}"\nname = "x"\n[organisation]\nnetwork = "advice.csv"\n')
    with pytest.raises(ScenarioError, match=r"organisation.network needs organisation.source"):
        load_scenario(toml)


def test_an_empty_network_is_refused(tmp_path):
    toml = scenario_for(tmp_path, [HEADER, "B,A,1"])
    toml.write_text(toml.read_text().replace('network = "advice.csv"', 'network = ""'))
    with pytest.raises(ScenarioError, match=r"organisation.network: is empty.*remove the key"):
        load_scenario(toml)


def test_an_empty_network_from_set_is_refused():
    with pytest.raises(ScenarioError, match=r"organisation.network: is empty"):
        load_scenario(ROOT / "scenarios" / "from_data.toml", ["organisation.network="])


def test_load_network_needs_a_network(tmp_path):
    scenario = load_scenario(ROOT / "scenarios" / "from_data.toml")
    with pytest.raises(DataError, match=r"no advice network to load"):
        load_network(scenario)


def test_no_id_of_the_advice_network_reaches_the_results(tmp_path, capsys, monkeypatch):
    # docs/data.md ("Personal data"): ties are kept as roster rows, so no id of the edge
    # list reaches a results folder; its path is recorded, as the roster's is.
    from test_orgdata import HEADER as ROSTER_HEADER
    from test_orgdata import _every_text

    from sim.app.cli import main

    monkeypatch.chdir(tmp_path)
    ids = [f"Wk{i:03d}Respondent" for i in range(12)]
    roster = [ROSTER_HEADER]
    for i, name in enumerate(ids):
        boss = "" if i == 0 else ids[(i - 1) // 4]
        roster.append(f"{name},{boss},{4 if i == 0 else 2 if i < 4 else 0},t{i // 4},2")
    edges = ["from_id,to_id,weight"]
    for i, name in enumerate(ids):
        edges += [f"{name},{ids[(i + 1) % 12]},0.8", f"{name},{ids[(i + 5) % 12]},0.4"]
    toml = scenario_for(tmp_path, edges, name="ona_survey.csv", roster=roster)
    out = tmp_path / "results"
    argv = ["run", str(toml), "--replicates", "1", "--set", "horizon_weeks=3", "--out", str(out)]
    assert main([*argv, "--no-progress"]) == 0
    printed = capsys.readouterr()
    texts = _every_text(out)
    for where, text in [*texts.items(), ("stdout", printed.out), ("stderr", printed.err)]:
        for secret in ids:
            assert secret not in text, f"{secret!r} found in {where}"
    path = str(tmp_path / "ona_survey.csv")
    recorded = [Path(p).name for p, text in texts.items() if path in text]
    assert sorted(recorded) == ["metadata.json", "report.html", "scenario.resolved.toml"]
