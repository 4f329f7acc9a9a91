"""PostgreSQL password files (libpq's ``.pgpass`` format): rendering, and parsing for checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["PgpassLine", "escape_field", "parse_pgpass", "render_pgpass"]


@dataclass(frozen=True)
class PgpassLine:
    """One ``hostname:port:database:username:password`` line; ``*`` fields match anything."""

    host: str
    port: str
    database: str
    username: str
    password: str = field(repr=False)


def escape_field(value: str) -> str:
    """Escape ``\\`` and ``:`` with a backslash, as libpq's reader expects.

    Raises
    ------
    ValueError
        For a line break or NUL, which a line-based file cannot carry (the message has no value).
    """
    if any(ch in value for ch in "\n\r\0"):
        raise ValueError("a password-file field cannot contain a line break or NUL")
    return value.replace("\\", "\\\\").replace(":", "\\:")


def render_pgpass(lines: Iterable[PgpassLine]) -> str:
    """The file content, one line per entry, duplicates removed, order kept."""
    rendered: list[str] = []
    for line in lines:
        text = ":".join(
            escape_field(part) for part in (line.host, line.port, line.database, line.username, line.password)
        )
        if text not in rendered:
            rendered.append(text)
    return "".join(f"{text}\n" for text in rendered)


def parse_pgpass(content: str) -> list[PgpassLine]:
    """Parse a password file as libpq does: ``#`` comments, backslash escapes, five fields."""
    parsed = []
    for raw in content.split("\n"):  # libpq reads lines ending in "\n" only
        if not raw or raw.startswith("#"):
            continue
        fields: list[str] = [""]
        chars = iter(raw)
        for ch in chars:
            if ch == "\\":
                fields[-1] += next(chars, "")
            elif ch == ":" and len(fields) < 5:
                fields.append("")
            elif ch == ":":
                break  # libpq ends the password at the first unescaped colon
            else:
                fields[-1] += ch
        if len(fields) == 5:
            parsed.append(PgpassLine(*fields))
    return parsed
