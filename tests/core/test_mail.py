"""Development email: one line per message on the console (to, subject), the whole message with EMAIL_CONSOLE_FULL."""

import io
import subprocess
import sys
from pathlib import Path

from django.core.mail import EmailMultiAlternatives

from core.mail import OneLineConsoleBackend

ROOT = Path(__file__).resolve().parents[2]


def test_each_email_is_one_line_with_its_recipients_and_subject():
    stream = io.StringIO()
    backend = OneLineConsoleBackend(stream=stream)
    first = EmailMultiAlternatives(
        "Your cardboard pickup is scheduled", "Capital City Hauling comes on Wed Dec 9.", to=["cafe@example.com"],
        cc=["owner@example.com"],
    )  # fmt: skip
    first.attach_alternative("<p>Capital City Hauling comes on <b>Wed Dec 9</b>.</p>", "text/html")
    second = EmailMultiAlternatives("Offer:\n  trash pickup", "body", to=["hauler@example.com"])
    second.subject = "Offer:\n  trash pickup"  # set after construction, past Django's own header check

    assert backend.send_messages([first, second]) == 2
    assert stream.getvalue().splitlines() == [
        "email to cafe@example.com, owner@example.com: Your cardboard pickup is scheduled",
        "email to hauler@example.com: Offer: trash pickup",
    ]


def backend_with(**variables: str) -> str:
    environment = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **variables}
    code = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_console_prints_one_line_unless_the_full_text_is_asked_for():
    assert backend_with() == "core.mail.OneLineConsoleBackend"
    assert backend_with(EMAIL_CONSOLE_FULL="true") == "django.core.mail.backends.console.EmailBackend"
    assert backend_with(EMAIL_URL="smtp://mail.example:25") == "django.core.mail.backends.smtp.EmailBackend"
