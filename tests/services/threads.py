"""Races on PostgreSQL: calls released at one instant from threads of their own, each on its own connection."""

import threading

from django.db import close_old_connections, connection


def at_once(*calls) -> list:
    """Each call from its own thread and connection, released together; what each returned, or its error's repr."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index):
        try:
            barrier.wait()
            outcomes[index] = calls[index]()
        except Exception as error:  # recorded, so the assertion shows it
            outcomes[index] = repr(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def race(work, count: int) -> list:
    """`work()` on `count` threads at one instant."""
    return at_once(*[work] * count)
