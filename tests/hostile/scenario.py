"""Scenario files and command-line options that wlsim refuses before anything runs."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from hostile import FLAGSHIP, SMALL, Case, scenario_file

Maker = Callable[..., Path]


def _file_case(make: Maker, words: list[str], id: str) -> list[Case]:
    """The case for `wlsim run` and for `wlsim validate` of the same bad file."""

    def path(tmp: Path) -> str:
        return str(make(functools.partial(scenario_file, tmp), tmp))

    return [
        # No --set here: it could override the bad value under test.
        Case(
            f"run-{id}",
            lambda tmp: ["run", path(tmp), "--replicates", "1", "--no-progress"],
            tuple(words),
        ),
        Case(f"validate-{id}", lambda tmp: ["validate", path(tmp)], tuple(words)),
    ]


def _option_case(make: Callable[[Path], list[str]], words: list[str], id: str) -> list[Case]:
    return [
        Case(f"option-{id}", lambda tmp: ["run", str(FLAGSHIP), *SMALL, *make(tmp)], tuple(words))
    ]


_HOURS = ["--set", "programmes.mentorship.budget_hours_per_week=0.5"]
_MONEY = ["--set", "programmes.mentorship.budget_per_year=100"]


def _file(body: str, name: str = "bad.toml"):
    return lambda write, tmp: write(body, name=name)


def _cycle(write, tmp: Path) -> Path:
    write('extends = "b.toml"\nname = "a"\n', name="a.toml", extends=False)
    write('extends = "a.toml"\nname = "b"\n', name="b.toml", extends=False)
    return tmp / "a.toml"


def _not_utf8(write, tmp: Path) -> Path:
    path = tmp / "latin1.toml"
    path.write_bytes('name = "caf\u00e9"\n'.encode("latin-1"))
    return path


def _folder(write, tmp: Path) -> Path:
    (tmp / "folder.toml").mkdir()
    return tmp / "folder.toml"


#: (make the scenario file, words its error message must contain)
_FILE_CASES = [
    _file_case(
        _file("horizon_weeks = = 3\n"),
        ["bad.toml", "TOML syntax error", "line 3, column 17"],
        id="toml-syntax-error",
    ),
    _file_case(
        _file("[organisation]\nn_employes = 50\n"),
        ["bad.toml", "organisation.n_employes", "unknown key", "did you mean 'n_employees'"],
        id="unknown-key",
    ),
    _file_case(
        _file("horizn_weeks = 50\n"),
        ["horizn_weeks", "unknown key", "did you mean 'horizon_weeks'"],
        id="unknown-top-level-key",
    ),
    _file_case(
        _file('[programmes.mentorship]\nkind = "mentorship"\nn_learners_per_guid_max = 3\n'),
        [
            "programmes.mentorship.n_learners_per_guid_max",
            "did you mean 'n_learners_per_guide_max'",
        ],
        id="unknown-programme-key",
    ),
    _file_case(
        _file('horizon_weeks = "ten"\n'),
        ["horizon_weeks = 'ten'", "valid integer"],
        id="wrong-type",
    ),
    _file_case(
        _file("[turnover]\np_quit_per_week = 1.5\n"),
        ["turnover.p_quit_per_week = 1.5", "less than or equal to 1"],
        id="probability-above-1",
    ),
    _file_case(
        _file("[turnover]\np_quit_per_week = nan\n"),
        ["turnover.p_quit_per_week = nan", "finite number"],
        id="nan",
    ),
    _file_case(
        _file("[costs]\nhours_per_year = inf\n"),
        ["costs.hours_per_year = inf", "finite number"],
        id="inf",
    ),
    _file_case(
        _file("[engagement]\noverload_per_hour = -0.5\n"),
        ["engagement.overload_per_hour = -0.5", "greater than or equal to 0"],
        id="negative",
    ),
    _file_case(
        _file("horizon_weeks = 0\n"),
        ["horizon_weeks = 0", "greater than or equal to 1"],
        id="horizon-0",
    ),
    _file_case(
        _file("[organisation]\nn_employees = 0\n"),
        ["organisation.n_employees = 0", "greater than or equal to 2"],
        id="empty-organisation",
    ),
    _file_case(
        _file("[organisation]\nlevel_shares = [0.5, 0.5, 0.1, 0.1, 0.1]\n"),
        ["organisation: level_shares must sum to 1, got 1.3"],
        id="shares-not-summing-to-1",
    ),
    _file_case(
        lambda write, tmp: write('name = "bad name!"\n', extends=False),
        ["name = 'bad name!'", "letters, digits"],
        id="bad-scenario-name",
    ),
    _file_case(
        _file('[programmes.m]\nkind = "mentoring"\n'),
        ["programmes.m.kind = 'mentoring'", "not a programme kind", "mentorship, peer_coaching"],
        id="unknown-programme-kind",
    ),
    _file_case(
        _file("[programmes.m]\np_enrol = 0.3\n"),
        ["programmes.m.kind: missing", "mentorship, peer_coaching"],
        id="programme-without-kind",
    ),
    _file_case(
        _file(
            "[engagement]\nmean_baseline = 0\n"
            '[programmes.mentorship]\nkind = "mentorship"\nuptake = "engaged"\n'
        ),
        [
            "programmes.mentorship.uptake = 'engaged'",
            "engagement.mean_baseline",
            "is 0",
            "uptake = 'random'",
        ],
        id="engaged-uptake-without-engagement",
    ),
    _file_case(
        _file('[arms.treat]\nprogrammes = ["coaching"]\n'),
        ["arms.treat.programmes", "unknown programmes ['coaching']"],
        id="arm-uses-undefined-programme",
    ),
    _file_case(
        _file('[arms.t]\noverrides = { "turnover.p_quit_per_week" = -1 }\n'),
        ["arm 't'", "turnover.p_quit_per_week = -1", "arms.t.overrides", "greater than or equal"],
        id="arm-override-out-of-range",
    ),
    _file_case(
        _file('[arms.t]\noverrides = { "turnovr.p_quit_per_week" = 0.1 }\n'),
        ["arm 't'", "turnovr", "did you mean 'turnover'"],
        id="arm-override-unknown-key",
    ),
    _file_case(
        lambda write, tmp: write('extends = "nowhere.toml"\nname = "x"\n', extends=False),
        ["bad.toml", "extends = 'nowhere.toml'", "no such file"],
        id="extends-missing-file",
    ),
    _file_case(_cycle, ["cycle", "a.toml", "b.toml"], id="extends-cycle"),
    _file_case(
        lambda write, tmp: tmp / "missing.toml",
        ["missing.toml", "no such scenario file"],
        id="missing-file",
    ),
    _file_case(_folder, ["folder.toml", "is a folder"], id="folder-not-file"),
    _file_case(_not_utf8, ["latin1.toml", "not UTF-8"], id="not-utf8"),
    # Skills that change (docs/model.md 7.14): [[skill_demand]] ramps and obsolescence.
    _file_case(
        _file('[[skill_demand]]\ndomain = "digtal"\nto_week = 10\nusage = 0.5\n'),
        ["skill_demand[0].domain = 'digtal'", "not a domain", "did you mean 'digital'"],
        id="skill-demand-unknown-domain",
    ),
    _file_case(
        _file('[[skill_demand]]\ndomain = "digital"\nlevels = [2, 7]\nto_week = 10\nusage = 0.5\n'),
        ["skill_demand[0].levels", "[7] out of range 0..4", "executive"],
        id="skill-demand-level-out-of-range",
    ),
    _file_case(
        _file('[[skill_demand]]\ndomain = "digital"\nfrom_week = 20\nto_week = 10\nusage = 0.5\n'),
        ["skill_demand.0", "to_week = 10 is before from_week = 20"],
        id="skill-demand-weeks-reversed",
    ),
    _file_case(
        _file('[[skill_demand]]\ndomain = "digital"\nto_week = 10\nusage = 1.5\n'),
        ["skill_demand.0.usage = 1.5", "less than or equal to 1"],
        id="skill-demand-usage-above-1",
    ),
    _file_case(
        _file('[[skill_demand]]\ndomain = "digital"\nto_week = 10\nchange = 0.6\n'),
        ["skill_demand[0].change = 0.6", "from 0.6 to 1.2", "within [0, 1]"],
        id="skill-demand-change-beyond-1",
    ),
    _file_case(
        _file('[[skill_demand]]\ndomain = "digital"\nto_week = 10\n'),
        ["skill_demand.0", "give either usage", "or change"],
        id="skill-demand-without-target",
    ),
    _file_case(
        _file(
            '[[skill_demand]]\ndomain = "digital"\nto_week = 50\nusage = 0.9\n'
            '[[skill_demand]]\ndomain = "digital"\nlevels = [3]\nfrom_week = 40\n'
            "to_week = 60\nusage = 0.2\n"
        ),
        ["skill_demand[1] and skill_demand[0]", "level 3", "weeks 0-50 and 40-60", "overlap"],
        id="skill-demand-ramps-overlap",
    ),
    _file_case(
        _file("[learning]\nrate_skill_obsolescence_per_year_by_domain = { digitl = 0.3 }\n"),
        ["rate_skill_obsolescence_per_year_by_domain", "'digitl'", "did you mean 'digital'"],
        id="obsolescence-unknown-domain",
    ),
    _file_case(
        _file("[learning]\nrate_skill_obsolescence_per_year_by_domain = { digital = 1.3 }\n"),
        ["rate_skill_obsolescence_per_year_by_domain", "digital = 1.3", "below 1"],
        id="obsolescence-rate-above-1",
    ),
    # A new skill seeded in a few people (docs/model.md 7.13): [[skill_seeds]].
    _file_case(
        _file('[[skill_seeds]]\nweek = 0\ndomain = "digtal"\n'),
        ["skill_seeds[0].domain = 'digtal'", "not a domain", "did you mean 'digital'"],
        id="skill-seed-unknown-domain",
    ),
    _file_case(
        _file('[[skill_seeds]]\nweek = 900\ndomain = "digital"\n'),
        ["skill_seeds[0].week = 900", "the run ends at week 156"],
        id="skill-seed-after-the-run",
    ),
    _file_case(
        _file('[[skill_seeds]]\nweek = 0\ndomain = "digital"\nk = 0\n'),
        ["skill_seeds.0.k = 0", "greater than or equal to 1"],
        id="skill-seed-nobody",
    ),
    _file_case(
        _file('[[skill_seeds]]\nweek = 0\ndomain = "digital"\nskill = 1.4\n'),
        ["skill_seeds.0.skill = 1.4", "less than or equal to 1"],
        id="skill-seed-skill-above-1",
    ),
]


def _out_is_a_file(tmp: Path) -> list[str]:
    (tmp / "taken").write_text("")
    return ["--out", str(tmp / "taken")]


#: (extra options for a run of the flagship scenario, words the error must contain)
_OPTION_CASES = [
    _option_case(
        lambda tmp: ["--set", "organisation.n_employees=2"],
        ["organisation", "n_employees = 2", "at least 3 employees", "first_manager_level"],
        id="set-organisation-smaller-than-its-managing-levels",
    ),
    _option_case(
        lambda tmp: ["--arm", "nope"],
        ["--arm 'nope'", "no_programme, mentorship, peer_coaching, both"],
        id="unknown-arm",
    ),
    _option_case(
        lambda tmp: ["--arm", "mentorship", "--arm", "mentorshp"],
        ["--arm 'mentorshp'", "did you mean 'mentorship'"],
        id="misspelt-arm",
    ),
    _option_case(
        lambda tmp: ["--set", "horizon_weeks"],
        ["--set 'horizon_weeks'", "PATH=VALUE"],
        id="set-without-equals",
    ),
    _option_case(
        lambda tmp: ["--set", "=3"],
        ["--set '=3'", "PATH=VALUE"],
        id="set-without-path",
    ),
    _option_case(
        lambda tmp: ["--set", "horizn_weeks=3"],
        ["horizn_weeks (from --set horizn_weeks=3)", "did you mean 'horizon_weeks'"],
        id="set-unknown-key",
    ),
    _option_case(
        lambda tmp: ["--set", "turnover.p_quit_per_week=nan"],
        ["turnover.p_quit_per_week = nan", "from --set", "finite number"],
        id="set-nan",
    ),
    _option_case(
        lambda tmp: ["--set", "horizon_weeks=0"],
        ["horizon_weeks = 0 (from --set horizon_weeks=0)", "greater than or equal to 1"],
        id="set-horizon-0",
    ),
    _option_case(
        lambda tmp: ["--set", "organisation.n_employees=0"],
        ["organisation.n_employees = 0", "greater than or equal to 2"],
        id="set-empty-organisation",
    ),
    _option_case(
        lambda tmp: ["--set", "programmes.mentorship.kind=mentoring"],
        ["programmes.mentorship.kind = 'mentoring'", "mentorship, peer_coaching"],
        id="set-unknown-programme-kind",
    ),
    _option_case(
        lambda tmp: ["--replicates", "0"],
        ["replicates = 0 (from --replicates 0)", "greater than or equal to 1"],
        id="replicates-0",
    ),
    _option_case(
        lambda tmp: ["--replicates", "1000000"],
        ["replicates = 1000000 (from --replicates 1000000)", "less than or equal to 100000"],
        id="replicates-too-many",
    ),
    _option_case(
        lambda tmp: ["--seed", "-1"],
        ["seed = -1 (from --seed -1)", "greater than or equal to 0"],
        id="negative-seed",
    ),
    _option_case(
        lambda tmp: ["--replicates", "two"],
        ["--replicates", "invalid int value: 'two'"],
        id="replicates-not-a-number",
    ),
    _option_case(_out_is_a_file, ["taken", "not a folder"], id="out-is-a-file"),
    # A programme in HR terms that the organisation or its budget cannot meet.
    _option_case(
        lambda tmp: ["--set", "programmes.mentorship.n_learners=5000"],
        ["programmes.mentorship.n_learners = 5000", "more learners than the", "eligible"],
        id="hr-more-learners-than-eligible",
    ),
    _option_case(
        lambda tmp: ["--set", "programmes.mentorship.n_guides=5000"],
        ["programmes.mentorship.n_guides = 5000", "more guides than the", "eligible"],
        id="hr-more-guides-than-eligible",
    ),
    _option_case(
        lambda tmp: ["--set", "programmes.peer_coaching.n_guides=3"],
        ["programmes.peer_coaching.n_guides = 3", "has no guides"],
        id="hr-guides-for-peers",
    ),
    _option_case(
        lambda tmp: ["--set", "programmes.mentorship.n_learners=4", *_HOURS],
        ["budget_hours_per_week = 0.5", "person-hours a week", "4 learners"],
        id="hr-hours-budget-too-small",
    ),
    _option_case(
        lambda tmp: ["--set", "programmes.mentorship.n_learners=4", *_MONEY],
        ["budget_per_year = 100 USD", "a year at full attendance"],
        id="hr-money-budget-too-small",
    ),
    _option_case(
        lambda tmp: ["--set", "costs.currency="],
        ["costs.currency", "at least 1 character"],
        id="hr-empty-currency",
    ),
]


CASES: list[Case] = [case for cases in (*_FILE_CASES, *_OPTION_CASES) for case in cases]
