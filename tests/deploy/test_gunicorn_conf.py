"""deploy/gunicorn.conf.py reads its settings from the environment, with defaults sized by the machine."""

import multiprocessing
import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"
GUNICORN_VARIABLES = ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_CONTROL_SOCKET", "LOG_FORMAT", "LOG_LEVEL")


@pytest.fixture
def load(monkeypatch):
    for name in GUNICORN_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def load(**environment):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(CONF))

    return load


def test_the_defaults_are_loopback_workers_per_core_and_no_access_log(load):
    conf = load()
    assert conf["bind"] == "127.0.0.1:8000"
    assert conf["workers"] == multiprocessing.cpu_count() * 2 + 1
    assert (conf["timeout"], conf["max_requests"], conf["max_requests_jitter"]) == (30, 1000, 100)
    assert conf["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert conf["accesslog"] is None  # the app logs each request itself, with its request id
    assert conf["control_socket_disable"] is True
    formatter = conf["logconfig_dict"]["formatters"]["json"]["()"]
    assert formatter == "pythonjsonlogger.json.JsonFormatter"


def test_the_environment_sizes_and_places_it(load):
    conf = load(
        GUNICORN_BIND="127.0.0.1:9001",
        GUNICORN_WORKERS="3",
        GUNICORN_CONTROL_SOCKET="/run/haulmatch-web/gunicorn.ctl",
        LOG_FORMAT="console",
    )
    assert (conf["bind"], conf["workers"]) == ("127.0.0.1:9001", 3)
    assert conf["control_socket"] == "/run/haulmatch-web/gunicorn.ctl"
    assert conf["control_socket_disable"] is False
    assert "logconfig_dict" not in conf  # gunicorn's own readable format


def test_an_empty_value_in_the_env_file_takes_the_default(load):
    assert load(GUNICORN_WORKERS="")["workers"] == multiprocessing.cpu_count() * 2 + 1
