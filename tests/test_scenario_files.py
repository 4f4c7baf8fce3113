"""Reading scenario files: inheritance, ``--set`` overrides, arm overrides and error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario.loading import (
    MAX_EXTENDS,
    MAX_NESTING,
    arm_scenario,
    load_scenario,
    parse_assignment,
    validate_scenario,
)
from sim.scenario.schema import NAME_MAX_LENGTH, Programme, name_problem, safe_name

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
FLAGSHIP = SCENARIOS / "mentorship_vs_peer_coaching.toml"
CAPACITY = SCENARIOS / "mentor_capacity.toml"


def message(path, overrides=()) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    return str(info.value)


# --- reading ---------------------------------------------------------------------------


def test_a_byte_order_mark_is_dropped_and_other_encodings_are_refused(tmp_path: Path) -> None:
    # Windows editors save UTF-8 with a byte-order mark; HR exports are read the same way.
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + f'extends = "{BASELINE.as_posix()}"\nname = "bom"\n'.encode())
    assert load_scenario(bom).name == "bom"
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"\xef\xbb\xbf" + 'name = "\u00e9"\n'.encode("latin-1"))
    text = message(latin)
    assert "not UTF-8 text (byte 11)" in text  # counted from the start of the file
    assert "save the scenario as UTF-8 TOML" in text


# --- inheritance ------------------------------------------------------------------------


def test_extends_merges_tables_key_by_key(write_scenario) -> None:
    path = write_scenario("horizon_weeks = 4\n[organisation]\nn_employees = 50\n")
    scenario = load_scenario(path)
    base = load_scenario(BASELINE)
    assert scenario.name == "bad"
    assert scenario.horizon_weeks == 4
    assert scenario.organisation.n_employees == 50
    assert scenario.organisation.domains == base.organisation.domains
    assert scenario.organisation.level_shares == base.organisation.level_shares
    assert scenario.arms == base.arms


def test_extends_is_relative_to_the_file_and_chains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "grand.toml").write_text('name = "grand"\nseed = 5\nreplicates = 3\n')
    (tmp_path / "a" / "b" / "parent.toml").write_text(
        'extends = "../grand.toml"\nname = "parent"\nreplicates = 4\n'
    )
    (tmp_path / "a" / "b" / "child.toml").write_text('extends = "parent.toml"\nname = "child"\n')
    monkeypatch.chdir(tmp_path)  # not the folder of the files
    scenario = load_scenario("a/b/child.toml")
    assert (scenario.name, scenario.seed, scenario.replicates) == ("child", 5, 4)


def test_a_child_adds_programmes_and_arms_to_the_inherited_ones(write_scenario) -> None:
    path = write_scenario(
        '[programmes.mentorship]\nkind = "mentorship"\n'
        '[arms.mentorship]\nprogrammes = ["mentorship"]\n'
    )
    scenario = load_scenario(path)
    assert list(scenario.arms) == ["no_programme", "mentorship"]
    assert isinstance(scenario.programmes["mentorship"], Programme)


# --- --set overrides ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "key", "value"),
    [
        (
            "programmes.mentorship.n_learners_per_guide_max=3",
            "programmes.mentorship.n_learners_per_guide_max",
            3,
        ),
        ("turnover.p_quit_per_week=0.005", "turnover.p_quit_per_week", 0.005),
        (" horizon_weeks = 12 ", "horizon_weeks", 12),
        ("organisation.domains=['a', 'b']", "organisation.domains", ["a", "b"]),
        ('name="quoted"', "name", "quoted"),
        ("name=plain-text", "name", "plain-text"),
        ("description=a=b", "description", "a=b"),
        ("programmes.mentorship={p_enrol=0.1}", "programmes.mentorship", {"p_enrol": 0.1}),
        ("flag=true", "flag", True),
    ],
)
def test_parse_assignment_reads_toml_values_or_plain_strings(expr, key, value) -> None:
    assert parse_assignment(expr) == (key, value)


@pytest.mark.parametrize("expr", ["horizon_weeks", "=3", " =3", "a..b=1", ".a=1", "a.=1", ""])
def test_parse_assignment_refuses_what_is_not_path_equals_value(expr: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_assignment(expr)
    assert f"--set {expr!r}" in str(info.value)
    assert "PATH=VALUE" in str(info.value)


def test_set_overrides_the_file_after_inheritance() -> None:
    scenario = load_scenario(FLAGSHIP, ["turnover.p_quit_per_week=0.005", "seed=3"])
    assert scenario.turnover.p_quit_per_week == 0.005
    assert scenario.seed == 3
    assert scenario.programmes["mentorship"].p_enrol == 0.3  # from the file, untouched


def test_set_with_a_table_merges_into_the_existing_table() -> None:
    scenario = load_scenario(FLAGSHIP, ["programmes.mentorship={n_learners_per_guide_max=3}"])
    mentorship = scenario.programmes["mentorship"]
    assert mentorship.n_learners_per_guide_max == 3
    assert mentorship.kind == "mentorship"
    assert mentorship.p_enrol == 0.3


def test_set_values_are_validated_like_the_file() -> None:
    text = message(BASELINE, ["turnover.p_quit_per_week=-0.1"])
    assert "turnover.p_quit_per_week = -0.1" in text
    assert "(from --set turnover.p_quit_per_week=-0.1)" in text
    assert "greater than or equal to 0" in text


def test_set_of_a_prefix_does_not_claim_a_longer_key() -> None:
    # 'horizon' is not a prefix (as a path) of 'horizon_weeks'.
    text = message(BASELINE, ["horizon=3", "horizon_weeks=0"])
    assert "horizon (from --set horizon=3): unknown key" in text
    assert "horizon_weeks = 0 (from --set horizon_weeks=0)" in text


# --- arms ------------------------------------------------------------------------------------


def test_arm_overrides_merge_over_the_base() -> None:
    scenario = load_scenario(CAPACITY)
    arm = arm_scenario(scenario, "capacity_4")
    assert list(arm.arms) == ["capacity_4"]
    assert arm.programmes["mentorship"].n_learners_per_guide_max == 4
    assert arm.programmes["mentorship"].p_enrol == scenario.programmes["mentorship"].p_enrol
    assert (
        arm_scenario(scenario, "capacity_2").programmes["mentorship"].n_learners_per_guide_max == 2
    )


def test_unknown_arm_is_named_with_the_valid_arms() -> None:
    scenario = load_scenario(FLAGSHIP)
    with pytest.raises(ScenarioError) as info:
        arm_scenario(scenario, "mentorshp", source="flagship.toml")
    text = str(info.value)
    assert "flagship.toml: unknown arm 'mentorshp'" in text
    assert "did you mean 'mentorship'" in text
    assert "no_programme, mentorship, peer_coaching, both" in text


# --- names that become file names ---------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["baseline", "capacity_4", "a", "9", "v1.2-final", "x" * NAME_MAX_LENGTH]
)
def test_names_safe_in_file_names_are_accepted(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("a/b", "only letters, digits"),
        ("../up", "only letters, digits"),
        ("..", "only letters, digits"),
        ("x..y", "may not contain '..'"),
        ("_hidden", "must start with a letter or digit"),
        ("two words", "only letters, digits"),
        ("", "must start with a letter or digit"),
        ("x" * (NAME_MAX_LENGTH + 1), f"at most {NAME_MAX_LENGTH}"),
    ],
)
def test_names_unsafe_in_file_names_are_refused(name: str, problem: str) -> None:
    found = name_problem(name)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize("name", ["a/b", "../../etc/passwd", "x..y", "-x", "x" * 300, "é"])
def test_the_suggested_name_is_safe(name: str) -> None:
    suggestion = safe_name(name)
    assert suggestion == "" or name_problem(suggestion) is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('[arms."a/b"]\n', ["arms: arm name 'a/b'", "only letters", "rename it, e.g. 'a_b'"]),
        ('[arms."../up"]\n', ["arm name '../up'", "e.g. 'up'"]),
        ("[arms.x..y]\n".replace("x..y", '"x..y"'), ["arm name 'x..y'", "may not contain '..'"]),
        (f"[arms.{'a' * 300}]\n", ["arm name 'aaa", "300 characters long", "at most 64"]),
        (
            '[programmes."m/1"]\nkind = "mentorship"\n',
            ["programmes: programme name 'm/1'", "e.g. 'm_1'", "every arm's programmes"],
        ),
    ],
)
def test_unsafe_scenario_arm_and_programme_names_are_refused_at_load_time(
    write_scenario, body: str, words: list[str]
) -> None:
    text = message(write_scenario(body))
    assert "bad.toml: invalid scenario" in text
    for word in words:
        assert word in text


def test_a_scenario_name_too_long_for_a_folder_name_is_refused(write_scenario) -> None:
    text = message(write_scenario(f'name = "{"n" * 65}"\n', extends=False))
    assert "name = 'nnnn" in text
    assert "65 characters long; at most 64" in text
    assert "it names the results folder" in text


def test_an_unsafe_arm_name_from_set_is_named() -> None:
    text = message(BASELINE, ["arms.a/b.description=x"])
    assert "arm name 'a/b' (from --set arms.a/b.description=x)" in text


def test_arm_overrides_are_validated_when_the_file_is_loaded(write_scenario) -> None:
    path = write_scenario('[arms.big]\noverrides = { "organisation.n_employees" = 1 }\n')
    text = message(path)
    assert f"{path} (arm 'big', overrides)" in text
    assert "organisation.n_employees = 1 (from arms.big.overrides)" in text


def test_arm_overrides_may_not_change_arms(write_scenario) -> None:
    path = write_scenario("[arms.t]\noverrides = { arms = {} }\n")
    assert "arms.t.overrides may not change 'arms'" in message(path)


# --- messages -------------------------------------------------------------------------------


def test_every_problem_is_listed(write_scenario) -> None:
    path = write_scenario("horizon_weeks = 0\nseed = -1\n[learning]\nskill_floor = 2\n")
    text = message(path)
    assert f"{path}: invalid scenario (3 problems)" in text
    assert "horizon_weeks = 0" in text
    assert "seed = -1" in text
    assert "learning.skill_floor = 2" in text


def test_a_bad_value_inherited_from_a_parent_names_the_parent(tmp_path: Path) -> None:
    parent = tmp_path / "parent.toml"
    parent.write_text('name = "parent"\nhorizon_weeks = -1\n[turnover]\np_quit_per_week = 0.01\n')
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\nname = "child"\n[turnover]\np_quit_per_week = 2\n')
    text = message(child)
    assert text.startswith(f"{child}: invalid scenario (2 problems)")
    assert f"horizon_weeks = -1 (set in {parent.resolve()})" in text
    # The child's own value needs no note.
    assert "turnover.p_quit_per_week = 2: input should be less than or equal to 1" in text


def test_an_unknown_key_in_a_parent_names_the_parent(tmp_path: Path) -> None:
    parent = tmp_path / "parent.toml"
    parent.write_text('name = "parent"\n[promotion]\nreadiness = 0.5\n')
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\nname = "child"\n')
    text = message(child)
    assert f"promotion.readiness (set in {parent.resolve()}): unknown key" in text
    assert "did you mean 'readiness_threshold'" in text


def test_a_set_that_creates_a_programme_without_kind_is_named() -> None:
    text = message(BASELINE, ["programmes.mentorship.n_learners_per_guide_max=3"])
    assert "programmes.mentorship.kind: missing" in text
    assert "(from --set programmes.mentorship.n_learners_per_guide_max=3)" in text
    assert "mentorship, peer_coaching" in text


def test_unknown_programme_kind_shows_the_kind_not_the_whole_table(write_scenario) -> None:
    path = write_scenario('[programmes.m]\nkind = "peer-coaching"\np_enrol = 0.3\n')
    text = message(path)
    assert "programmes.m.kind = 'peer-coaching': not a programme kind" in text
    assert "did you mean 'peer_coaching'" in text
    assert "p_enrol" not in text


def test_a_check_across_fields_names_the_table_not_its_contents(write_scenario) -> None:
    path = write_scenario('[organisation]\ndomains = ["technical"]\n')
    text = message(path)
    assert "organisation: job_usage needs exactly one entry per domain" in text
    assert "'n_employees'" not in text


def test_validate_scenario_names_the_option_a_value_came_from() -> None:
    raw = {"name": "x", "seed": -1, "replicates": 0}
    with pytest.raises(ScenarioError) as info:
        validate_scenario(
            raw, source="cli", set_paths={"seed": "--seed -1", "replicates": "replicates=0"}
        )
    text = str(info.value)
    assert "seed = -1 (from --seed -1)" in text
    assert "replicates = 0 (from --set replicates=0)" in text


def test_a_file_extending_itself_is_a_cycle(tmp_path: Path) -> None:
    path = tmp_path / "self.toml"
    path.write_text('extends = "self.toml"\nname = "self"\n')
    text = message(path)
    assert "cycle" in text
    assert f"{path.resolve()} -> {path.resolve()}" in text


def test_extends_must_be_a_file_name(write_scenario) -> None:
    path = write_scenario("extends = 3\n", extends=False)
    assert "extends = 3: must be a file name" in message(path)


def _chain(folder: Path, n: int) -> Path:
    """A chain of n + 1 files, each extending the next: n levels of extends."""
    for i in range(n):
        (folder / f"e{i}.toml").write_text(f'extends = "e{i + 1}.toml"\nname = "e{i}"\n')
    (folder / f"e{n}.toml").write_text(f'name = "e{n}"\n')
    return folder / "e0.toml"


def test_extends_may_chain_up_to_the_limit(tmp_path: Path) -> None:
    assert load_scenario(_chain(tmp_path, MAX_EXTENDS)).name == "e0"


@pytest.mark.parametrize("n", [MAX_EXTENDS + 1, 1200])
def test_a_longer_extends_chain_is_refused(tmp_path: Path, n: int) -> None:
    text = message(_chain(tmp_path, n))
    assert f"e{MAX_EXTENDS}.toml: extends = 'e{MAX_EXTENDS + 1}.toml'" in text
    assert f"longer than {MAX_EXTENDS} files" in text
    assert str((tmp_path / "e0.toml").resolve()) in text


def _nested(n: int, open_: str = "[", close: str = "]") -> str:
    return open_ * n + close * n


def test_arrays_nested_up_to_the_limit_are_read(write_scenario) -> None:
    # Refused for its type, not its depth.
    text = message(write_scenario(f"description = {_nested(MAX_NESTING)}\n"))
    assert "description = " in text
    assert "levels" not in text


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (_nested(MAX_NESTING + 1), ["description[0][0]", "nested more than 32 levels"]),
        (_nested(3000), ["nested too deeply to read"]),
        ("{a = " * 3000 + "1" + "}" * 3000, ["nested too deeply to read"]),
    ],
)
def test_deeply_nested_values_are_refused(write_scenario, value: str, words: list[str]) -> None:
    text = message(write_scenario(f"description = {value}\n"))
    assert "bad.toml: " in text
    assert "check the brackets" in text
    for word in words:
        assert word in text


def test_a_deeply_dotted_key_in_arm_overrides_is_refused(write_scenario) -> None:
    key = ".".join(["a"] * 3000)
    text = message(write_scenario(f'[arms.t]\noverrides = {{ "{key}" = 1 }}\n'))
    assert "bad.toml: arms.t.overrides.a.a.a" in text
    assert f"nested more than {MAX_NESTING} levels" in text


def test_deeply_nested_table_headers_are_refused(write_scenario) -> None:
    text = message(write_scenario("[" + ".".join(["t"] * 3000) + "]\nx = 1\n"))
    assert "bad.toml: t.t.t.t" in text
    assert f"nested more than {MAX_NESTING} levels" in text


def test_set_values_nested_up_to_the_limit_are_read() -> None:
    assert parse_assignment("a=" + _nested(MAX_NESTING))[0] == "a"
    assert parse_assignment("a.b=" + _nested(MAX_NESTING - 1))[0] == "a.b"


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("description=" + _nested(3000), ["the value is nested more than 32 levels"]),
        ("description=" + "[" * 3000, ["the value is nested more than 32 levels"]),
        ("description=" + _nested(MAX_NESTING + 1), ["the value is nested"]),
        ("a.b=" + _nested(MAX_NESTING), ["the value is nested"]),
        ("a." * 3000 + "b=1", ["the path has 3001 parts", "at most 32"]),
    ],
)
def test_deeply_nested_set_values_are_refused(expr: str, words: list[str]) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_assignment(expr)
    text = str(info.value)
    assert text.startswith("--set '")
    for word in words:
        assert word in text


def test_toml_syntax_error_in_a_parent_names_the_parent(tmp_path: Path) -> None:
    (tmp_path / "parent.toml").write_text('name = "parent"\n\n[organisation\n')
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\nname = "child"\n')
    text = message(child)
    assert "parent.toml: TOML syntax error" in text
    assert "line 3" in text


def test_scenario_error_is_a_value_error() -> None:
    assert issubclass(ScenarioError, ValueError)


@pytest.mark.parametrize(
    ("section", "key"), [("organisation", "n_employees"), ("learning", "skill_floor")]
)
def test_booleans_are_not_numbers(section, key):
    with pytest.raises(ScenarioError, match=f"{key} = true: expected a number"):
        validate_scenario({"name": "x", section: {key: True}})
