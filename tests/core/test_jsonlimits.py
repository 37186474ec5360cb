"""The JSON depth count agrees with the true depth of any JSON, strings full of brackets and escapes included."""

import json
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import jsonlimits

# Text rich in what could fool a count: brackets, quotes, backslashes, and anything else.
tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\,:ab \n') | st.characters(), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | tricky_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(tricky_text, children, max_size=4),
    max_leaves=60,
)


def depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@given(json_values, st.integers(min_value=0, max_value=8), st.booleans())
def test_the_count_is_the_true_depth(value, limit, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)

    assert jsonlimits.nesting_exceeds(text, limit) == (depth(value) > limit)


@given(json_values)
def test_what_it_takes_parses_as_json_does(value):
    text = json.dumps(value)
    if depth(value) <= jsonlimits.MAX_DEPTH:
        assert jsonlimits.loads(text) == json.loads(text)


@given(st.text(max_size=30))
def test_a_control_character_is_found_wherever_it_is(text):
    body = {"a": [1, {"b": text}]}
    expected = any((ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in text)

    found = jsonlimits.control_character(json.loads(json.dumps(body)), text=json.dumps(body))

    assert (found is not None) == expected
    if found:
        assert found[0] == ["a", 1, "b"]


@pytest.mark.parametrize("text", ["[1e400]", "[-1e999]", "[NaN]", "[Infinity]", "{", "[1,]", '"\\ud800'])
def test_what_no_float_holds_or_is_not_json_is_refused(text):
    with pytest.raises(ValueError):
        jsonlimits.loads(text)


def first_control(value, path):
    """The walk as first written, recursive: strings, then an object's keys before its values, in order."""
    if isinstance(value, str):
        return path if jsonlimits._CONTROL.search(value) else None
    if isinstance(value, dict):
        for key in value:
            if jsonlimits._CONTROL.search(key):
                return path
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for step, child in items:
        found = first_control(child, [*path, step])
        if found is not None:
            return found
    return None


@given(json_values)
def test_the_walk_names_the_first_control_character_as_a_recursive_walk_does(value):
    body = json.loads(json.dumps(value))

    found = jsonlimits.control_character(body)

    assert (found and found[0]) == first_control(body, [])


def test_the_walk_holds_no_copy_per_value_of_a_long_batch():
    # Numbers hold no text: 400,000 of them before the one string with a control character.
    text = '{"readings": [' + "7, " * 400_000 + '"\\b", 1]}'
    body = jsonlimits.loads(text)

    tracemalloc.start()
    found = jsonlimits.control_character(body, text=text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert found == (
        ["readings", 400_000],
        "Holds a control character (U+0008) (at readings[400000]); send plain text.",
    )
    assert peak < 64 * 1024  # a path and a tuple per number, as once pushed, took about 60 MB here
