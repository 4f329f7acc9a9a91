"""Building Butler where expressions from values: quoting and balanced predicates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..errors import InvalidArgumentError

__all__ = [
    "ALWAYS_TRUE",
    "ScalarValue",
    "UnquotableValueError",
    "conjunction",
    "equals_any",
    "int_range",
    "quote",
]

ScalarValue = int | str
"""A dimension value: integer or string key."""

ALWAYS_TRUE = "(1=1)"
"""A predicate selecting everything (CM Service's null splitter writes the same)."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


class UnquotableValueError(InvalidArgumentError):
    """A string value cannot be written as a Butler string literal.

    daf_butler's lexer reads a string literal as ``'.*?'``: it has no escape sequence, so a value
    holding a single quote or a line break cannot appear in a where expression at all.
    """

    reason = "UNQUOTABLE_VALUE"


def _identifier(name: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        raise InvalidArgumentError(f"{name!r} is not a valid dimension or field name")
    return name


def quote(value: ScalarValue) -> str:
    """Write a value as a Butler where-expression literal.

    Integers are written in decimal; strings in single quotes. Raises `UnquotableValueError`
    for a string containing ``'``, a line break or a NUL (no Butler literal can hold those) and
    `InvalidArgumentError` for anything that is neither an integer nor a string.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidArgumentError(f"dimension values are integers or strings, not {type(value).__name__}")
    if isinstance(value, int):
        return str(value)
    if any(c in value for c in "'\n\r\x00"):
        raise UnquotableValueError(
            f"the value {value!r} contains a quote or line break, which a Butler where expression "
            "cannot express; select it with a bind parameter or another dimension"
        )
    return f"'{value}'"


def equals_any(dimension: str, values: Sequence[ScalarValue]) -> str:
    """``(dim = v)`` for one value, ``(dim IN (a, b))`` for several; raises for none."""
    if not values:
        raise InvalidArgumentError(f"an empty list of {dimension} values selects nothing")
    name = _identifier(dimension)
    if len(values) == 1:
        return f"({name} = {quote(values[0])})"
    return f"({name} IN ({', '.join(quote(v) for v in values)}))"


def int_range(dimension: str, low: int | None, high: int | None) -> str:
    """``(dim >= low AND dim < high)``, leaving out a bound that is None (both None: everything)."""
    name = _identifier(dimension)
    terms = []
    if low is not None:
        terms.append(f"{name} >= {quote(low)}")
    if high is not None:
        terms.append(f"{name} < {quote(high)}")
    return f"({' AND '.join(terms)})" if terms else ALWAYS_TRUE


def conjunction(predicates: Iterable[str]) -> str:
    """AND predicates together, each parenthesised; empty ones are skipped (none: empty string)."""
    parts = [f"({p.strip()})" for p in predicates if p.strip()]
    return " AND ".join(parts)
