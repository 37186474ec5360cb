"""The JSON depth count agrees with the true depth of any JSON, strings full of brackets and escapes included."""

import json

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
