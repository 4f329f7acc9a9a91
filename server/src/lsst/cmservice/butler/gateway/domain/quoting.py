"""Environment variables rendered for HTCondor submit files, bash and BPS YAML (and parsed back)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import yaml

__all__ = [
    "UnrepresentableValueError",
    "check_name",
    "parse_htcondor_environment",
    "render_bash_exports",
    "render_bps_environment",
    "render_htcondor_environment",
]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# condor_submit expands $(NAME) macros in submit lines; $(DOLLAR) is its documented literal "$".
_DOLLAR_MACRO = "$(DOLLAR)"


class UnrepresentableValueError(ValueError):
    """A value cannot be carried by a format; names the variable and the reason, never the value."""

    def __init__(self, name: str, form: str, why: str) -> None:
        super().__init__(f"variable {name} cannot be rendered for {form}: its value {why}")
        self.name = name
        self.form = form


def check_name(name: str) -> None:
    """Refuse a variable name that is not a POSIX shell identifier (every format needs one)."""
    if not _NAME.fullmatch(name):
        raise UnrepresentableValueError(name, "any format", "has a name that is not a shell identifier")


def _check_common(name: str, value: str, form: str) -> None:
    check_name(name)
    if "\0" in value:
        raise UnrepresentableValueError(name, form, "contains a NUL character")


def render_htcondor_environment(variables: Mapping[str, str]) -> str:
    """The value of a submit file's ``environment =`` line, in HTCondor's new (quoted) syntax.

    The rules from the condor_submit manual: double quotes around the whole; entries separated by
    white space; white space (and a literal single quote) only inside single quotes; a literal
    single quote doubled inside single quotes; a literal double quote doubled anywhere. ``$`` is
    written ``$(DOLLAR)`` so that condor_submit's macro expansion leaves it alone. A submit
    description is line-based, so a newline or carriage return cannot be carried.
    """
    entries = []
    for name, value in variables.items():
        _check_common(name, value, "the HTCondor environment")
        if "\n" in value or "\r" in value:
            raise UnrepresentableValueError(name, "the HTCondor environment", "contains a line break")
        text = value.replace("$", _DOLLAR_MACRO)
        if not text or any(ch.isspace() or ch == "'" for ch in text):
            text = "'" + text.replace("'", "''") + "'"
        entries.append(f"{name}={text}".replace('"', '""'))
    return '"' + " ".join(entries) + '"'


def parse_htcondor_environment(rendered: str) -> dict[str, str]:
    """Parse a new-syntax HTCondor ``environment`` value (as condor_submit and condor do).

    Raises
    ------
    ValueError
        If the text does not follow the new syntax or holds an unexpanded macro.
    """
    if len(rendered) < 2 or rendered[0] != '"' or rendered[-1] != '"':
        raise ValueError("the new syntax needs double quotes around the whole value")
    body = rendered[1:-1]
    if "$(" in body.replace(_DOLLAR_MACRO, ""):
        raise ValueError("an unexpanded submit macro is present")
    body = body.replace(_DOLLAR_MACRO, "\0")  # a placeholder: NUL never occurs in a value
    entries: list[str] = []
    current: list[str] | None = None
    quoted = False
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == '"':
            if body[i + 1 : i + 2] != '"':
                raise ValueError(f"a lone double quote at offset {i + 1}")
            ch, i = '"', i + 1
        elif ch == "'":
            if quoted and body[i + 1 : i + 2] == "'":
                i += 2
                current = current if current is not None else []
                current.append("'")
                continue
            quoted = not quoted
            current = current if current is not None else []
            i += 1
            continue
        elif ch in " \t" and not quoted:
            if current is not None:
                entries.append("".join(current))
                current = None
            i += 1
            continue
        current = current if current is not None else []
        current.append(ch)
        i += 1
    if quoted:
        raise ValueError("an unterminated single-quoted section")
    if current is not None:
        entries.append("".join(current))
    parsed: dict[str, str] = {}
    for entry in entries:
        name, sep, value = entry.partition("=")
        if not sep or not name:
            raise ValueError(f"entry {entry!r} is not NAME=VALUE")
        parsed[name] = value.replace("\0", "$")
    return parsed


def render_bash_exports(variables: Mapping[str, str]) -> str:
    """``export NAME='value'`` lines: single quotes carry every byte but NUL literally."""
    lines = []
    for name, value in variables.items():
        _check_common(name, value, "bash")
        quoted = "'" + value.replace("'", "'\\''") + "'"
        lines.append(f"export {name}={quoted}\n")
    return "".join(lines)


def render_bps_environment(variables: Mapping[str, str]) -> str:
    """A BPS submit YAML ``environment:`` block, checked to load back to exactly these values.

    Plain style where PyYAML's choice round-trips; otherwise every scalar double-quoted, whose
    escapes carry any character but NUL (for example NEL or U+2028, which PyYAML's plain and
    single-quoted styles turn into line breaks).
    """
    for name, value in variables.items():
        _check_common(name, value, "BPS YAML")
    document = {"environment": dict(variables)}
    for style in (None, '"'):
        rendered = yaml.safe_dump(
            document,
            default_style=style,
            default_flow_style=False,
            sort_keys=False,
            allow_unicode=True,
            width=2**31 - 1,
        )
        loaded = yaml.safe_load(rendered)
        if loaded == document:
            return str(rendered)
    for name, value in variables.items():
        if loaded.get("environment", {}).get(name) != value:
            raise UnrepresentableValueError(name, "BPS YAML", "does not survive a YAML round trip")
    raise AssertionError("a YAML round trip failed without a differing value")  # pragma: no cover
