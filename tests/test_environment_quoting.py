"""Rendered forms of a submission environment parse back to exactly the same variables."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsst.utils.db_auth import DbAuth, DbAuthNotFoundError

from lsst.cmservice.butler.gateway.domain.environment import RegistryTarget, match_credential
from lsst.cmservice.butler.gateway.domain.pgpass import PgpassLine, escape_field, parse_pgpass, render_pgpass
from lsst.cmservice.butler.gateway.domain.quoting import (
    UnrepresentableValueError,
    parse_htcondor_environment,
    render_bash_exports,
    render_bps_environment,
    render_htcondor_environment,
)

# The characters every format treats specially, mixed with arbitrary text (no surrogates: a proto
# string or a setting cannot hold one).
_SPECIAL = st.sampled_from([*" \t'\"=$\\:;#{}()`!*?&|<>~%", "$(DOLLAR)", "''", '""', "\\'", "$$("])
_ANY_CHAR = st.characters(blacklist_categories=["Cs"], blacklist_characters="\0")
_VALUE = st.lists(st.one_of(_SPECIAL, _ANY_CHAR), max_size=30).map("".join)
# A "V" prefix keeps clear of the variables bash sets itself (_, PWD, SHLVL, BASH*...).
_NAME = st.from_regex(r"V[A-Za-z0-9_]{0,15}", fullmatch=True)
_VARIABLES = st.dictionaries(_NAME, _VALUE, max_size=8)
_ONE_LINE_VARIABLES = st.dictionaries(_NAME, _VALUE.map(lambda v: v.replace("\n", " ").replace("\r", " ")))
_WITH_NEWLINES = st.dictionaries(
    _NAME, st.lists(st.one_of(_SPECIAL, _ANY_CHAR, st.just("\n")), max_size=30).map("".join), max_size=8
)


@given(_ONE_LINE_VARIABLES)
def test_htcondor_round_trip(variables: dict[str, str]) -> None:
    rendered = render_htcondor_environment(variables)
    assert "\n" not in rendered
    # No macro survives for condor_submit to expand: every "$" became $(DOLLAR).
    assert "$" not in rendered.replace("$(DOLLAR)", "")
    assert parse_htcondor_environment(rendered) == variables


def test_htcondor_parser_follows_the_manual_example() -> None:
    # condor_submit manual, "environment", new syntax.
    parsed = parse_htcondor_environment(""""one=1 two=""2"" three='spacey ''quoted'' value'\"""")
    assert parsed == {"one": "1", "two": '"2"', "three": "spacey 'quoted' value"}


def test_htcondor_rendering_of_awkward_values() -> None:
    rendered = render_htcondor_environment(
        {"A": "plain", "B": "two words", "C": "it's", "D": 'say"hi"', "E": "$HOME", "F": ""}
    )
    assert rendered == (""""A=plain B='two words' C='it''s' D=say""hi"" E=$(DOLLAR)HOME F=''\"""")


@pytest.mark.parametrize("value", ["line\nbreak", "carriage\rreturn"])
def test_htcondor_refuses_line_breaks_naming_the_variable(value: str) -> None:
    with pytest.raises(UnrepresentableValueError) as caught:
        render_htcondor_environment({"GOOD": "x", "BAD_ONE": value})
    assert caught.value.name == "BAD_ONE"
    assert "BAD_ONE" in str(caught.value)
    assert value not in str(caught.value)


@pytest.mark.parametrize("render", [render_htcondor_environment, render_bash_exports, render_bps_environment])
def test_every_form_refuses_nul_and_bad_names(render: object) -> None:
    assert callable(render)
    with pytest.raises(UnrepresentableValueError, match="NULLED"):
        render({"NULLED": "a\0b"})
    with pytest.raises(UnrepresentableValueError, match="not a shell identifier"):
        render({"1BAD": "x"})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(variables=_WITH_NEWLINES)
def test_bash_round_trip_through_real_bash(variables: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "exports.sh"
    script.write_text(render_bash_exports(variables))
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", 'source "$1" && env -0', "bash", str(script)],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        check=True,
    )
    environment = dict(
        item.split("=", 1) for item in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if item
    )
    assert {name: environment.get(name) for name in variables} == variables


@given(_WITH_NEWLINES)
def test_bps_yaml_round_trip(variables: dict[str, str]) -> None:
    rendered = render_bps_environment(variables)
    loaded = yaml.safe_load(rendered)
    assert loaded == {"environment": variables}


_FIELD = st.lists(st.one_of(st.sampled_from(list(":\\*# ")), _ANY_CHAR.filter(lambda c: c not in "\n\r")))


@given(st.lists(st.tuples(*[_FIELD.map("".join)] * 5), max_size=5))
def test_pgpass_round_trip(fields: list[tuple[str, str, str, str, str]]) -> None:
    lines = [PgpassLine(*parts) for parts in fields if not parts[0].startswith("#")]
    content = render_pgpass(lines)
    unique = list(dict.fromkeys(lines))
    assert parse_pgpass(content) == unique


def test_pgpass_escaping() -> None:
    assert escape_field("a:b\\c") == "a\\:b\\\\c"
    assert render_pgpass([PgpassLine("h", "5432", "db", "u", "p:w\\")]) == "h:5432:db:u:p\\:w\\\\\n"
    with pytest.raises(ValueError, match="line break"):
        escape_field("two\nlines")


_ENTRIES = [
    {"url": "postgresql://alice@db.example.org:5432/main", "password": "p1"},
    {"url": "postgresql://*.example.org/main_*", "username": "bob", "password": "p2"},
    {"url": "postgresql://db.example.org", "username": "carol", "password": "p3"},
    {"url": "mysql://db.example.org/main", "username": "dave", "password": "p4"},
    {"url": "postgresql://other.example.org:6543/x?", "username": "erin", "password": "p5"},
]


@given(
    st.sampled_from(["postgresql", "postgresql+psycopg", "mysql"]),
    st.sampled_from([None, "alice", "bob"]),
    st.sampled_from(["db.example.org", "other.example.org", "x.example.org"]),
    st.sampled_from([None, 5432, 6543]),
    st.sampled_from(["main", "main_2", "xy", "x1", "other"]),
    st.permutations(_ENTRIES),
)
def test_match_credential_agrees_with_dbauth(
    dialect: str, user: str | None, host: str, port: int | None, database: str, entries: list[dict[str, str]]
) -> None:
    target = RegistryTarget(dialect, host, port, database, user)
    try:
        expected: tuple[str | None, str] | None = DbAuth(authList=entries).getAuth(
            dialect, user, host, port, database
        )
    except DbAuthNotFoundError:
        expected = None
    match = match_credential(entries, target)
    assert (None if match is None else (match.username, match.password)) == expected
    if match is not None:
        # The entry chosen is the first of the gateway's list that DbAuth accepts on its own.
        assert entries[match.index] is match.entry
