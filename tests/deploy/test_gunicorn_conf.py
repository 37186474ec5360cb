"""deploy/gunicorn.conf.py reads its settings from the environment, with defaults sized by the machine."""

import multiprocessing
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"
GUNICORN_VARIABLES = (
    "GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_BACKLOG", "GUNICORN_MAX_REQUESTS", "GUNICORN_MAX_REQUESTS_JITTER",
    "GUNICORN_CONTROL_SOCKET", "LOG_FORMAT", "LOG_LEVEL",
)  # fmt: skip


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
    assert (conf["timeout"], conf["max_requests"], conf["max_requests_jitter"]) == (30, 20_000, 2_000)
    assert conf["backlog"] == max(256, 32 * conf["workers"])  # above nginx's 16 a worker (max_conns), below 2,048
    assert conf["preload_app"] is False  # HUP loads a release's code
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
    assert (conf["bind"], conf["workers"], conf["backlog"]) == ("127.0.0.1:9001", 3, 256)
    assert load(GUNICORN_WORKERS="17")["backlog"] == 544
    assert load(GUNICORN_BACKLOG="64")["backlog"] == 64
    assert load(GUNICORN_MAX_REQUESTS="5000")["max_requests_jitter"] == 500
    assert load(GUNICORN_MAX_REQUESTS="0")["max_requests"] == 0  # never replaced
    assert conf["control_socket"] == "/run/haulmatch-web/gunicorn.ctl"
    assert conf["control_socket_disable"] is False
    assert "logconfig_dict" not in conf  # gunicorn's own readable format


def test_an_empty_value_in_the_env_file_takes_the_default(load):
    assert load(GUNICORN_WORKERS="")["workers"] == multiprocessing.cpu_count() * 2 + 1


def test_loading_the_app_opens_no_connection_and_no_thread(tmp_path):
    """What gunicorn's workers import (config.wsgi, production settings, Sentry on) leaves no socket or thread that
    a fork would share between workers: the app could be preloaded in the master safely, should HUP's reload of a
    release's code ever matter less than cheap replacements (deploy/gunicorn.conf.py says why it is not)."""
    probe = (
        "import os, threading, config.wsgi\n"
        "fds = os.listdir('/proc/self/fd')\n"  # one of them is that listing's own, closed once read
        "links = [os.readlink(f'/proc/self/fd/{fd}') for fd in fds if os.path.exists(f'/proc/self/fd/{fd}')]\n"
        "print([link for link in links if link.startswith('socket:')], threading.active_count())\n"
    )
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "SENTRY_"))},
        "DJANGO_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "load-check-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "https://127.0.0.1",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "SENTRY_DSN": "https://key@sentry.invalid/1",
        "EMAIL_URL": "consolemail://",
        "STATIC_ROOT": str(tmp_path),
        "LOG_LEVEL": "ERROR",
    }
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to list the process's sockets")
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", probe], cwd=CONF.parents[1], env=environment,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[] 1"
