"""Text messages, behind one small interface.

There is no SMS provider here: `SMS_BACKEND=console` writes messages to the log, `email` sends
each one as an email to <digits>@SMS_EMAIL_DOMAIN (a carrier's email-to-SMS gateway). A provider
is one more class with `send(to, text)`.
"""

import logging
import re

from django.conf import settings
from django.core.mail import send_mail

log = logging.getLogger(__name__)
MAX_LENGTH = 160


class ConsoleBackend:
    def send(self, to: str, text: str) -> None:
        log.info("SMS to %s: %s", to, text)


class EmailBackend:
    def send(self, to: str, text: str) -> None:
        send_mail("", text, settings.DEFAULT_FROM_EMAIL, [f"{to}@{settings.SMS_EMAIL_DOMAIN}"])


BACKENDS = {"console": ConsoleBackend, "email": EmailBackend}


def normalise(number: str) -> str | None:
    """A US number as its ten digits, or None when it is not one."""
    digits = re.sub(r"\D", "", number or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) == 10 else None


def send_sms(*, to: str, text: str) -> bool:
    """Send a short text through the configured backend; False when the number is not usable."""
    number = normalise(to)
    if number is None:
        return False
    BACKENDS[settings.SMS_BACKEND]().send(number, text[:MAX_LENGTH])
    return True
