"""Finding a task by name is safe from several threads at once (a threaded server, a burst of webhooks)."""

import threading
import time

from celery import current_app

from core.enqueue import registered

NAME = "tests.enqueue.late_task"


def late_task():
    return "done"


def test_threads_asking_at_once_all_find_a_task_its_module_registers_late(monkeypatch):
    imported = threading.Event()

    def import_default_modules():
        # As Celery's loader does: it marks its modules imported first, then imports them (here: slowly).
        if imported.is_set():
            return
        imported.set()
        time.sleep(0.2)
        current_app.task(name=NAME)(late_task)

    monkeypatch.setattr(current_app.loader, "import_default_modules", import_default_modules)
    found, errors = [], []

    def ask():
        try:
            found.append(registered(NAME).name)
        except Exception as error:  # the test reports what each thread met
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=5)
    finally:
        current_app.tasks.pop(NAME, None)

    assert errors == []
    assert found == [NAME] * 4
