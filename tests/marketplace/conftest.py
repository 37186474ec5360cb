"""Fixtures of the market's tests: the webhook tests' loopback receiver and business."""

import pytest

from tests.webhook_receiver import serving


@pytest.fixture
def receiver():
    """An HTTP server on loopback that records what it is sent and answers as told."""
    with serving() as running:
        yield running


@pytest.fixture
def business(customer):
    return customer
