"""Queue a Celery task by its registered name once the current transaction commits.

Services enqueue through here instead of importing a tasks module: the tasks modules are the
thin top edge that imports the services, so the services must not import them back. A task
sent before its rows are committed could run, read nothing and return; after commit it finds
them. Under CELERY_TASK_ALWAYS_EAGER (the embedded default) the task runs in-process at commit.
"""

import functools
import threading

from celery import current_app
from celery.app.task import Task
from django.db import transaction

import core.request_id


def enqueue(name: str, *args) -> None:
    """Send the task registered as `name` with `args` after the current transaction commits (at once outside one)."""
    # The id of the request (or task) enqueueing it goes with the message, so the task logs under it too.
    request_id = core.request_id.current.get()
    headers = {core.request_id.TASK_HEADER: request_id} if request_id else None
    # No caller waits for a task's answer: with a result backend set, apply_async would otherwise subscribe to each
    # task's result channel (a Redis round trip per task) and the worker would store every return value.
    transaction.on_commit(functools.partial(registered(name).apply_async, args, headers=headers, ignore_result=True))


# Celery marks its task modules imported before it imports them: a second thread asking meanwhile found them
# "imported" and its task not registered (NotRegistered under a burst of webhooks in a threaded server).
_IMPORTING = threading.Lock()


def registered(name: str) -> Task:
    """The task registered as `name`; raises celery's NotRegistered for a name no tasks module defines."""
    tasks = current_app.tasks
    if name not in tasks:
        with _IMPORTING:
            # A web process imports no tasks module of its own; the worker's autodiscovery does it here too.
            current_app.loader.import_default_modules()
    return tasks[name]
