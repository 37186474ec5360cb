"""One id per request, in every log line it causes, here and in the Celery tasks it enqueues.

The reverse proxy names each request (nginx: `X-Request-ID: $request_id`); without one the
middleware makes an id. It lives in a context variable, so a logging filter can stamp it on
every record without anything passing it along. core.enqueue sends it in the task's headers
and the worker's task_prerun signal puts it back for the length of the task, so a booking's
dispatch and notices log under the id of the request that booked it.
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar

from celery import signals
from celery._state import get_current_task
from django.utils.functional import empty

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
# What a proxy's id may look like: nginx's 32 hex digits, a UUID, a load balancer's trace id. Anything else
# (too long, or with characters that would forge log fields or headers) is replaced by an id of our own.
_ACCEPTED = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")

current: ContextVar[str | None] = ContextVar("request_id", default=None)
request_log = logging.getLogger("haulmatch.request")


def new_id() -> str:
    """A fresh id, in nginx's $request_id shape (32 hex digits)."""
    return uuid.uuid4().hex


def accepted(value: str | None) -> str | None:
    """`value` when it is a plausible request id, otherwise None."""
    return value if value and _ACCEPTED.fullmatch(value) else None


class RequestIdMiddleware:
    """Take the proxy's X-Request-ID (or make one), answer with it, and log the request once it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accepted(request.headers.get(HEADER)) or new_id()
        request.request_id = request_id
        token = current.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            request_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    # The address the rate limits see (NUM_PROXIES decides which X-Forwarded-For entry it is).
                    "client": _client_address(request),
                    "user_id": _user_id(request),
                },
            )
            return response
        finally:
            current.reset(token)


def _client_address(request) -> str:
    """The client's address as the API's throttles read it (X-Forwarded-For per NUM_PROXIES, else REMOTE_ADDR)."""
    # Imported here: DRF reads its settings once, at import, and settings.py imports this module's users.
    from rest_framework.throttling import BaseThrottle

    return BaseThrottle().get_ident(request)


def _user_id(request) -> int | None:
    """Who made the request, if something already asked (a lazy user is not loaded just to log it)."""
    user = getattr(request, "user", None)
    user = getattr(user, "_wrapped", user)
    return None if user is empty else getattr(user, "pk", None)


class RequestIdFilter(logging.Filter):
    """Stamp every record with the current request id, and inside a task with the task's name and id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current.get()
        task = get_current_task()
        if task is not None and not hasattr(record, "task_name"):
            record.task_name, record.task_id = task.name, task.request.id
        return True


# --- Celery: the id travels in the task message's headers ---------------------------------
_tokens: dict[str, object] = {}


@signals.before_task_publish.connect
def _send_request_id(headers=None, **kwargs):
    """Tasks sent other than through core.enqueue carry the id too (enqueue sets it itself)."""
    request_id = current.get()
    if headers is not None and request_id and not headers.get(TASK_HEADER):
        headers[TASK_HEADER] = request_id


@signals.task_prerun.connect
def _restore_request_id(task_id=None, task=None, **kwargs):
    """The task runs (and logs) under the id of the request that enqueued it; a beat task has none."""
    request = task.request
    # A worker finds the id among the message's headers; an eager task (the embedded default) in `headers`.
    sent = getattr(request, TASK_HEADER, None) or (request.headers or {}).get(TASK_HEADER)
    _tokens[task_id] = current.set(accepted(sent) or current.get())


@signals.task_postrun.connect
def _forget_request_id(task_id=None, **kwargs):
    token = _tokens.pop(task_id, None)
    if token is not None:
        current.reset(token)
