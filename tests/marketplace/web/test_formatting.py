"""Times as our pages say them."""

import datetime as dt

import pytest

from marketplace.web.formatting import clock, clock_range, miles, window_label


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (dt.time(7), dt.time(11), "7\u201311 am"),
        (dt.time(11), dt.time(15), "11 am\u20133 pm"),
        (dt.time(13), dt.time(17), "1\u20135 pm"),
        (dt.time(7), dt.time(17), "7 am\u20135 pm"),
        (dt.time(7, 30), dt.time(12), "7:30 am\u201312 pm"),
    ],
)
def test_window_labels(start, end, label):
    assert window_label(start, end) == label


def test_clock_times():
    assert clock(dt.time(10, 40)) == "10:40 AM"
    assert clock(dt.datetime(2026, 3, 2, 0, 5)) == "12:05 AM"
    assert clock(dt.time(12, 0)) == "12:00 PM"
    assert clock_range(dt.time(10, 40), dt.time(11, 10)) == "10:40\u201311:10 AM"
    assert clock_range(dt.time(11, 50), dt.time(12, 20)) == "11:50 AM\u201312:20 PM"
    assert miles(42_165) == "26.2 mi"
