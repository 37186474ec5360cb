"""The open-loop driver behind `make bench`'s HTTP mix: its schedule, its percentiles, and that it stays open loop."""

import asyncio
import concurrent.futures
import itertools
import time

from bench import openloop


def run_alone(scenario):
    """asyncio.run in a thread of its own: the browser tier's Playwright keeps an event loop running in the main
    thread for the rest of the session, where asyncio.run refuses to start a second."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


def test_schedule_spaces_requests_evenly_over_the_duration():
    offsets = openloop.schedule(rate=20, duration=2)
    assert len(offsets) == 40
    assert offsets[0] == 0
    assert offsets[-1] == 39 / 20
    assert all(abs((b - a) - 0.05) < 1e-9 for a, b in itertools.pairwise(offsets))


def test_percentile_is_nearest_rank():
    values = list(range(100, 0, -1))  # 1..100, unordered
    assert openloop.percentile(values, 50) == 50
    assert openloop.percentile(values, 95) == 95
    assert openloop.percentile(values, 99) == 99
    assert openloop.percentile(values, 100) == 100
    assert openloop.percentile([7.0], 99) == 7.0
    assert openloop.percentile([1, 2, 3], 0) == 1


def test_summary_counts_failures_apart_from_rejections():
    outcomes = [
        openloop.Outcome("read", 200, 0.010),
        openloop.Outcome("read", 503, 0.002),
        openloop.Outcome("quote", 409, 0.020),
        openloop.Outcome("quote", 0, 20.0),
    ]
    figures = openloop.summary(outcomes)
    assert figures["requests"] == 4
    assert (figures["failures"], figures["no_answer"], figures["unavailable"], figures["rejected"]) == (2, 1, 1, 1)
    assert figures["max"] == 20_000
    assert figures["p50"] == 10


def test_requests_start_on_schedule_even_when_answers_are_slow():
    """50 requests at 50/s against a server answering 20 a second, one at a time: a closed loop on one connection
    would take 2.5 s to send them; open loop they all go within the second, and the queue shows as latency."""

    async def scenario():
        lock = asyncio.Lock()
        starts = []

        async def serve(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            starts.append(time.monotonic())
            async with lock:  # one request at a time, like a single sync worker
                await asyncio.sleep(0.05)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        raw = openloop.http_request("GET", "/", host="127.0.0.1")
        began = time.monotonic()
        outcomes = await openloop.drive(
            host="127.0.0.1", port=port, rate=50, duration=1, make=lambda i: ("read", raw), timeout=10
        )
        server.close()
        return began, starts, outcomes

    began, starts, outcomes = run_alone(scenario)
    assert len(outcomes) == 50
    assert {o.status for o in outcomes} == {200}
    assert {o.body for o in outcomes} == {b"ok"}
    assert max(starts) - began < 1.5  # every request was sent on time, none waited for an earlier answer
    figures = openloop.summary(outcomes)
    # 20 answers a second against 50 arriving: the last waits for about 30 others (1.5 s), the first hardly at all.
    assert figures["max"] > 1000
    assert outcomes[0].seconds < 0.5


def test_a_server_that_never_answers_is_a_timeout_at_the_client_limit():
    async def scenario():
        async def hang(reader, writer):
            await asyncio.sleep(5)

        server = await asyncio.start_server(hang, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        raw = openloop.http_request("POST", "/x", host="127.0.0.1", body=b"{}")
        outcomes = await openloop.drive(
            host="127.0.0.1", port=port, rate=10, duration=0.3, make=lambda i: ("quote", raw), timeout=0.5
        )
        server.close()
        return outcomes

    outcomes = run_alone(scenario)
    assert [o.status for o in outcomes] == [0, 0, 0]
    assert all(0.45 < o.seconds < 1.5 for o in outcomes)


def test_summary_says_how_many_503s_came_how_fast_and_without_retry_after():
    outcomes = [
        openloop.Outcome("read", 200, 0.100),
        openloop.Outcome("read", 200, 0.300),
        openloop.Outcome("quote", 503, 0.004, retry_after="2"),
        openloop.Outcome("quote", 503, 0.006, retry_after="2"),
        openloop.Outcome("booking", 503, 1.100),  # the app's, after a wait, and missing its Retry-After
        openloop.Outcome("accept", 0, 20.0),
    ]
    figures = openloop.summary(outcomes)
    assert (figures["unavailable"], figures["unavailable_without_retry_after"]) == (3, 1)
    assert (figures["unavailable_p50"], figures["unavailable_max"]) == (6, 1100)
    assert figures["served_p95"] == 300  # the answers the server did the work for: no 503, no timeout
    assert figures["failures"] == 4


def test_a_shed_answer_keeps_its_retry_after():
    async def scenario():
        async def busy(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            body = b'{"code": "overloaded"}'
            writer.write(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))  # fmt: skip
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(busy, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        raw = openloop.http_request("GET", "/", host="127.0.0.1")
        outcomes = await openloop.drive(
            host="127.0.0.1", port=port, rate=20, duration=0.2, make=lambda i: ("read", raw), timeout=5
        )
        server.close()
        return outcomes

    outcomes = run_alone(scenario)
    assert [(o.status, o.retry_after, o.body) for o in outcomes] == [(503, "2", b'{"code": "overloaded"}')] * 4
    assert openloop.summary(outcomes)["unavailable_without_retry_after"] == 0
