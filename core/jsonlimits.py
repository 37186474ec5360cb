"""Reading JSON from strangers: bounded nesting, finite numbers, and text without control characters.

The standard library's parser recurses once per level of nesting, so `"[" * 5000` exhausts the
interpreter's stack (a RecursionError, not a ValueError) before any limit of ours could look at the
result. The depth is therefore measured on the text first, without recursion: escapes and strings are
cut out and the brackets kept (str.replace, split and bytes.translate, all in C), then counted in one
pass that stops at the first level too many. An 8 MB body costs at most about 0.4 s on one core, a 1 MB
body 0.03 s, and the largest legitimate batch (5,000 readings, 3.8 MB) 0.04 s. Only text whose nesting
is known to be shallow reaches `json.loads`; where brackets of different kinds cross (`[}`) it fails at
that point, no deeper than counted.

Control characters are refused in every string (keys too) because nothing a person or a sensor means
to send holds them: a NUL inside a time slips past Python's ISO 8601 parser (any character may separate
the date from the time), PostgreSQL refuses NUL in text columns (a 500 at save), and escape codes end up
in logs and admin pages. A lone surrogate (`"\\ud800"`) is refused too: it is not text and cannot be
encoded to UTF-8 for the database.
"""

import itertools
import json
import math
import re
from typing import Any

# Far beyond any body the API documents (an uplink message is about 5 deep), far below the stack.
MAX_DEPTH = 64

# Brackets as bytes: 1 opens, 0 closes; every other byte dropped.
_OPENS = bytes.maketrans(b"[{]}", b"\x01\x01\x00\x00")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
# C0 controls except tab, newline and carriage return; DEL; lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Raw JSON cannot hold a C0 control unescaped (json.loads refuses it), so a body without one of these
# escapes (or a raw DEL) has no string to walk; the walk runs only when one appears.
_MAY_HOLD_CONTROL = re.compile(r"\\u00[01]|\\u007[fF]|\\[uU][dD][89a-fA-F]|\\[bf]|\x7f")


class JSONRefused(ValueError):
    """Text that is not JSON we take: malformed, too deeply nested, or with a number no machine holds."""


def nesting_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether the arrays and objects in JSON text nest deeper than `limit`, found without recursion.

    A closing bracket with nothing open, or brackets left open, count as too deep (the text is not JSON).
    """
    # Escapes first (a backslash escapes exactly the next character), so every quote left delimits a string.
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    outside_strings = "".join(unescaped.split('"')[0::2])
    brackets = outside_strings.encode("utf-8", "surrogatepass").translate(_OPENS, _NOT_BRACKETS)
    depth = 0
    for opens in brackets:
        if opens:
            depth += 1
            if depth > limit:
                return True
        elif depth:
            depth -= 1
        else:
            return True
    return depth != 0


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses to infinity, which no field can hold
        raise JSONRefused(f"The number {text[:20]} is too large.")
    return value


def _no_constant(name: str):
    raise JSONRefused(f"{name} is not a JSON number.")


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text nested at most `max_depth` deep, refusing NaN, Infinity and numbers too large for a float."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")  # a UnicodeDecodeError is a ValueError, as a parse error is
    if nesting_exceeds(text, max_depth):
        raise JSONRefused(f"Arrays and objects may nest at most {max_depth} deep (or the brackets do not match).")
    return json.loads(text, parse_float=_finite, parse_constant=_no_constant)


def _where(path: list) -> str:
    shown = ""
    for step in path:
        shown += f"[{step}]" if type(step) is int else (f".{step}" if shown else str(step))
    return shown


def control_character(data: Any, *, text: str | None = None) -> tuple[list, str] | None:
    """The first string (or key) in parsed JSON holding a control character: (its path, a sentence), else None.

    Given the raw `text`, the walk is skipped when the text cannot hold one (the common case, and a
    5,000-reading batch has tens of thousands of strings).
    """
    if text is not None and not _MAY_HOLD_CONTROL.search(text):
        return None
    # Depth first, one iterator per open array or object, so memory grows with the nesting (at most MAX_DEPTH),
    # not with the number of values; the path is copied only for the string found.
    path: list = []  # the key or index of each value on the way down to the current one
    walks: list = []  # for each open array or object, its remaining (key or index, value) pairs
    value = data
    while True:
        kind = type(value)
        if kind is str:
            found = _CONTROL.search(value)
            if found:
                return list(path), _sentence(path, found.group())
        elif kind is dict:
            for key in value:
                found = _CONTROL.search(key)
                if found:
                    return list(path), _sentence([*path, key.encode("unicode_escape").decode()], found.group())
            walks.append(_walked(value.items(), value.values()))
            path.append(None)
        elif kind is list:
            walks.append(_walked(enumerate(value), value))
            path.append(None)
        while walks:
            pair = next(walks[-1], None)
            if pair is not None:
                path[-1], value = pair
                break
            walks.pop()
            path.pop()
        else:
            return None


# Numbers, booleans and null hold no text; only these are walked into.
_WALKED = frozenset({str, dict, list})


def _walked(pairs, values):
    # The pairs whose value is text, an array or an object, picked in C: a batch of millions of numbers is
    # passed over without a step of Python per number.
    return itertools.compress(pairs, map(_WALKED.__contains__, map(type, values)))


def _sentence(path: list, character: str) -> str:
    code = f"U+{ord(character):04X}"
    what = "a lone surrogate" if 0xD800 <= ord(character) <= 0xDFFF else "a control character"
    where = f" (at {_where(path)})" if len(path) > 1 else ""
    return f"Holds {what} ({code}){where}; send plain text."
