"""Development email: one line per message on the console, so `make run` stays readable.

The whole message (headers, text and HTML) is printed instead with EMAIL_CONSOLE_FULL=true, which selects
Django's own console backend.
"""

from django.core.mail.backends.console import EmailBackend as ConsoleBackend


class OneLineConsoleBackend(ConsoleBackend):
    """`email to a@example.com, b@example.com: Your pickup is scheduled` for each message sent."""

    def write_message(self, message):
        recipients = ", ".join(message.recipients()) or "nobody"
        subject = " ".join(str(message.subject).split())  # a subject is one line however it was written
        self.stream.write(f"email to {recipients}: {subject}\n")
