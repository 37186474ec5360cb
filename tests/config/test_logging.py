"""Logs: JSON lines in production with the request id on every record, into the tasks a request enqueues."""

import io
import json
import logging
import logging.config
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.core.internal.httpkit import get_client_ip
from celery import shared_task
from django.test import RequestFactory, override_settings
from rest_framework.throttling import BaseThrottle

import core.request_id
from config.logging import logging_config
from core.enqueue import enqueue

ROOT = Path(__file__).resolve().parents[2]
seen: list[dict] = []


@shared_task(name="tests.config.record_request_id")
def record_request_id(label: str) -> None:
    """Log inside a task; remember what the record carried."""
    logging.getLogger("tests.task").info("inside %s", label)
    seen.append({"label": label, "request_id": core.request_id.current.get()})


@pytest.fixture
def json_lines():
    """The JSON configuration on a private stream; yields a function that returns the lines logged so far."""
    stream = io.StringIO()
    config = logging_config(log_format="json", level="INFO")
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.config.dictConfig(logging_config(log_format="console", level="INFO"))


def test_a_json_line_has_the_time_level_logger_message_request_id_and_extras(json_lines):
    token = core.request_id.current.set("a" * 32)
    try:
        logging.getLogger("haulmatch.test").warning("%s pickups", 3, extra={"status": 409})
    finally:
        core.request_id.current.reset(token)
    logging.getLogger("haulmatch.test").warning("outside any request")

    first, second = json_lines()
    assert {key: first[key] for key in ("level", "logger", "message", "request_id", "status")} == {
        "level": "WARNING",
        "logger": "haulmatch.test",
        "message": "3 pickups",
        "request_id": "a" * 32,
        "status": 409,
    }
    assert first["time"].endswith("+00:00")
    assert second["request_id"] is None


@pytest.mark.django_db
def test_a_request_takes_the_proxy_id_answers_with_it_and_logs_one_line(client, json_lines):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")

    assert response["X-Request-ID"] == "0123456789abcdef0123456789abcdef"
    (line,) = [line for line in json_lines() if line["logger"] == "haulmatch.request"]
    assert line["request_id"] == "0123456789abcdef0123456789abcdef"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz/", 200)
    assert line["duration_ms"] >= 0
    assert line["client"] == "127.0.0.1"
    assert core.request_id.current.get() is None  # nothing leaks into the next request


@pytest.mark.django_db
@pytest.mark.parametrize("sent", [None, "", "x" * 129, "id with spaces", 'forged", "level": "ERROR'])
def test_without_a_usable_proxy_id_the_app_makes_one(client, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    first = client.get("/healthz/", **headers)["X-Request-ID"]
    second = client.get("/healthz/", **headers)["X-Request-ID"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_in_a_request_runs_under_its_id(json_lines):
    """In-process (eager) here; tests/services/test_production_stack.py sees it cross Redis to a real worker."""
    seen.clear()
    token = core.request_id.current.set("feedfacefeedfacefeedfacefeedface")
    try:
        enqueue("tests.config.record_request_id", "booking")
    finally:
        core.request_id.current.reset(token)
    enqueue("tests.config.record_request_id", "beat")

    assert seen == [
        {"label": "booking", "request_id": "feedfacefeedfacefeedfacefeedface"},
        {"label": "beat", "request_id": None},
    ]
    inside = [line for line in json_lines() if line["logger"] == "tests.task"]
    assert [(line["message"], line["request_id"], line["task_name"]) for line in inside] == [
        ("inside booking", "feedfacefeedfacefeedfacefeedface", "tests.config.record_request_id"),
        ("inside beat", None, "tests.config.record_request_id"),
    ]


def test_the_task_header_is_restored_from_a_worker_message():
    """What a worker's request looks like: the custom header is an attribute of task.request."""
    record_request_id.push_request(id="t-1", request_id="cafe" * 8, headers=None)
    try:
        core.request_id._restore_request_id(task_id="t-1", task=record_request_id)
        assert core.request_id.current.get() == "cafe" * 8
        core.request_id._forget_request_id(task_id="t-1")
        assert core.request_id.current.get() is None
    finally:
        record_request_id.pop_request()


def test_rate_limits_and_logins_count_the_same_client_behind_one_proxy(settings):
    """The API's throttles (DRF NUM_PROXIES) and allauth's login limits read one X-Forwarded-For entry: nginx's."""
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="127.0.0.1")
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}, ALLAUTH_TRUSTED_PROXY_COUNT=1):
        assert BaseThrottle().get_ident(request) == get_client_ip(request) == "203.0.113.7"


def test_production_settings_log_json_and_trust_one_proxy():
    environment = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "s" * 60,
        "ALLOWED_HOSTS": "haulmatch.example.com",
        "PATH": "/usr/bin:/bin",
    }
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.LOG_FORMAT, s.REST_FRAMEWORK['NUM_PROXIES'], s.ALLAUTH_TRUSTED_PROXY_COUNT, "
        "s.LOGGING['formatters']['default']['()'], "
        # settings.py imports config/ modules: none may make DRF read its settings before they are complete
        "[c.__name__ for c in __import__('rest_framework.views').views.APIView.authentication_classes]]))"
    )
    output = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(output) == [
        "json", 1, 1, "pythonjsonlogger.json.JsonFormatter", ["SeatedTokenAuthentication", "SessionAuthentication"]
    ]  # fmt: skip
