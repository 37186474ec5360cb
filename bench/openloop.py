"""An open-loop HTTP driver: each request starts on its schedule whatever the answers to earlier ones.

A closed-loop client (wrk, a fixed pool of users) waits for an answer before it sends the next request, so a
slow server slows the client down and hides its own queue. Real users arrive whether or not the server keeps
up, so here request i starts at i / rate seconds, each on its own connection (sync gunicorn workers close
the connection after each answer anyway), and its time is counted from when it was due to start, not from
when it got going: a late start is the server's delay too (coordinated omission).
"""

import asyncio
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

CLIENT_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Outcome:
    kind: str
    status: int  # 0: no answer (the client gave up at its timeout, or the connection failed)
    seconds: float  # from the scheduled start to the whole answer read
    body: bytes = b""
    retry_after: str | None = None  # the answer's Retry-After header, if it had one


def schedule(*, rate: float, duration: float) -> list[float]:
    """The start offsets in seconds of `rate` requests a second for `duration` seconds, evenly spaced."""
    return [index / rate for index in range(round(rate * duration))]


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..100) of the values: the smallest one at or above that share."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(outcomes: Sequence[Outcome]) -> dict:
    """Counts and latency percentiles in ms; failures are no answer or a 5xx, rejected the 4xx answers.

    The 503s (the server shedding load) are counted apart too, with how fast they came and how many lacked a
    Retry-After; `served_p95` is the p95 of the other answers, the ones the server did the work for."""
    times = [outcome.seconds * 1000 for outcome in outcomes]
    shed = [outcome.seconds * 1000 for outcome in outcomes if outcome.status == 503]
    served = [outcome.seconds * 1000 for outcome in outcomes if outcome.status not in (0, 503)]
    return {
        "requests": len(outcomes),
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "max": max(times, default=math.nan),
        "failures": sum(1 for o in outcomes if o.status == 0 or o.status >= 500),
        "no_answer": sum(1 for o in outcomes if o.status == 0),
        "unavailable": len(shed),
        "unavailable_p50": percentile(shed, 50),
        "unavailable_max": max(shed, default=math.nan),
        "unavailable_without_retry_after": sum(1 for o in outcomes if o.status == 503 and not o.retry_after),
        "served_p95": percentile(served, 95),
        "rejected": sum(1 for o in outcomes if 400 <= o.status < 500),
    }


def http_request(method: str, path: str, *, host: str, headers: dict | None = None, body: bytes = b"") -> bytes:
    """One HTTP/1.1 request as bytes, asking the server to close the connection after its answer."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def fetch(host: str, port: int, raw: bytes) -> tuple[int, bytes, str | None]:
    """Send one request on a new connection; (status, body, Retry-After), the body read to its Content-Length or
    the close."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(raw)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = retry_after = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"retry-after":
                retry_after = value.strip().decode("latin-1")
        body = await (reader.readexactly(length) if length is not None else reader.read())
        return status, body, retry_after
    finally:
        writer.close()


async def drive(
    *,
    host: str,
    port: int,
    rate: float,
    duration: float,
    make: Callable[[int], tuple[str, bytes]],
    timeout: float = CLIENT_TIMEOUT_S,
) -> list[Outcome]:
    """Start request `make(i)` (its kind and bytes) at i / rate seconds for `duration` seconds; every outcome."""
    loop = asyncio.get_running_loop()

    async def one(kind: str, raw: bytes, due: float) -> Outcome:
        try:
            status, body, retry_after = await asyncio.wait_for(
                fetch(host, port, raw), timeout - max(0.0, loop.time() - due)
            )
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            status, body, retry_after = 0, b"", None
        return Outcome(kind=kind, status=status, seconds=loop.time() - due, body=body, retry_after=retry_after)

    start = loop.time() + 0.05
    tasks = []
    for index, offset in enumerate(schedule(rate=rate, duration=duration)):
        due = start + offset
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        kind, raw = make(index)
        tasks.append(asyncio.create_task(one(kind, raw, due)))
    return list(await asyncio.gather(*tasks))
