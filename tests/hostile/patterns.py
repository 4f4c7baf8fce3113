"""``wlsim patterns`` inputs refused before any pattern runs.

The patterns build their own scenarios, so an override is checked against the scenario
schema on its own (and ``programmes.*.FIELD`` against a programme's fields); patterns'
names, replicates and the report folder are checked too, all before anything runs.
"""

from __future__ import annotations

from pathlib import Path

from hostile import Case


def _case(id: str, argv: list[str], *words: str) -> Case:
    return Case(id, lambda tmp: ["patterns", *argv], tuple(words))


def _report_is_a_file(tmp: Path) -> list[str]:
    (tmp / "docs").write_text("not a folder")
    return ["patterns", "turnover", "--report", str(tmp / "docs")]


CASES: list[Case] = [
    _case(
        "patterns-unknown-name",
        ["forgeting"],
        "unknown pattern 'forgeting'",
        "did you mean 'forgetting'",
        "patterns: turnover",
    ),
    _case(
        "patterns-unknown-set-path",
        ["--set", "learning.rate_sesion_per_hour=0"],
        "rate_sesion_per_hour",
        "rate_session_per_hour",
        "--set learning.rate_sesion_per_hour=0",
    ),
    _case(
        "patterns-set-value-out-of-range",
        ["--set", "learning.rate_session_per_hour=-1"],
        "rate_session_per_hour",
        "-1",
        "--set learning.rate_session_per_hour=-1",
    ),
    _case(
        "patterns-set-without-value",
        ["--set", "learning.rate_session_per_hour"],
        "expected PATH=VALUE",
    ),
    _case(
        "patterns-set-a-named-programme",
        ["--set", "programmes.mentorship.sponsorship_per_session=0"],
        "build their own programmes",
        "programmes.*.FIELD=VALUE",
    ),
    _case(
        "patterns-set-unknown-programme-field",
        ["--set", "programmes.*.sponsorship=0"],
        "'sponsorship' is not a programme field",
        "sponsorship_per_session",
    ),
    _case(
        "patterns-set-programme-kind",
        ["--set", "programmes.*.kind=peer_coaching"],
        "'kind' is not a programme field",
    ),
    _case(
        "patterns-set-bad-programme-value",
        ["--set", "programmes.*.relationship_failure=maybe"],
        "relationship_failure",
        "maybe",
        "--set programmes.*.relationship_failure=maybe",
    ),
    _case(
        "patterns-set-arms",
        ["--set", "arms.x.programmes=[]"],
        "each pattern sets arms itself",
    ),
    _case("patterns-one-replicate", ["--replicates", "1"], "--replicates 1", "at least 2"),
    _case(
        "patterns-matrix-with-names",
        ["turnover", "--matrix"],
        "--matrix runs every pattern",
    ),
    Case("patterns-report-is-a-file", _report_is_a_file, ("not a folder",)),
]
