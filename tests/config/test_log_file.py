"""LOG_FILE (what `make run` sets): log lines and runserver's access log go to the file; errors still show."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LOGS = """
import logging, django
django.setup()
logging.getLogger("marketplace.dispatch").info("offered pickup 7 to Capital City Hauling")
logging.getLogger("django.server").info('"GET /dashboard/ HTTP/1.1" 200 5120')
logging.getLogger("django.request").error("Internal Server Error: /book/")
"""


def run(**variables: str) -> subprocess.CompletedProcess:
    environment = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **variables}
    return subprocess.run(
        [sys.executable, "-c", LOGS], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_with_a_log_file_the_console_keeps_only_errors(tmp_path):
    log = tmp_path / "run.log"
    result = run(LOG_FILE=str(log))
    assert result.returncode == 0, result.stderr
    written = log.read_text()
    assert "offered pickup 7 to Capital City Hauling" in written
    assert '"GET /dashboard/ HTTP/1.1" 200' in written
    assert "Internal Server Error: /book/" in written
    assert "offered pickup" not in result.stderr and "GET /dashboard/" not in result.stderr
    assert "Internal Server Error: /book/" in result.stderr


def test_without_one_everything_goes_to_the_console():
    result = run()
    assert result.returncode == 0, result.stderr
    assert "offered pickup 7 to Capital City Hauling" in result.stderr
    assert "Internal Server Error: /book/" in result.stderr
