"""The Stripe stand-in's webhooks for `make run`: held until the site answers, then sent one at a time, in order.

`make run` starts the stand-in before the site, and seeding the demo makes charges (so events) while the site is
still migrating: localstripe would try each once, a second after it happened, and lose it ("Cannot connect").
Here each event is taken as it was when it happened, waits until the site answers an HTTP request (any status),
and is then posted like localstripe's own (signed, to every registered webhook), one at a time: the demo's burst
of events would otherwise arrive at once, and the development server's SQLite allows one writer.
"""

import asyncio
import hashlib
import hmac
import json
import logging
import time

import aiohttp
from localstripe import webhooks

logger = logging.getLogger("devstripe")
SEND_DELAY = 1.0  # seconds after the event, as localstripe waits: the API's answer reaches its caller first
TIMEOUT = aiohttp.ClientTimeout(total=10)


class SiteGate:
    """Opens once `url` answers an HTTP request, whatever the status; until then webhooks wait behind it."""

    def __init__(self, url: str, *, every: float = 0.5):
        self.url, self.every = url, every
        self._open: asyncio.Event | None = None  # made inside the server's loop
        self._watching: asyncio.Task | None = None

    async def wait(self) -> None:
        if self._open is None:
            self._open = asyncio.Event()
        if self._open.is_set():
            return
        if self._watching is None:
            self._watching = asyncio.ensure_future(self._watch())
        await self._open.wait()

    async def _watch(self) -> None:
        logger.info("webhooks wait until %s answers", self.url)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while True:
                try:
                    async with session.get(self.url, allow_redirects=False):
                        break
                except (TimeoutError, aiohttp.ClientError, OSError):
                    await asyncio.sleep(self.every)
        logger.info("%s answers: sending webhooks", self.url)
        self._open.set()


def _signed(payload: bytes, created: int, secret: str) -> dict:
    signature = hmac.new(secret.encode(), b"%d.%s" % (created, payload), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": f"t={created},v1={signature}"}


async def _post(kind: str, created: int, payload: bytes) -> None:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for webhook in list(webhooks._webhooks.values()):
            if webhook.events is not None and kind not in webhook.events:
                continue
            try:
                async with session.post(
                    webhook.url, data=payload, headers=_signed(payload, created, webhook.secret)
                ) as r:
                    outcome = "delivered" if 200 <= r.status < 300 else f"answered {r.status}"
            except (TimeoutError, aiohttp.ClientError, OSError) as error:
                outcome = f"failed: {error}"
            logger.info('webhook "%s" %s', kind, outcome)


def hold_until_answered(url: str) -> SiteGate:
    """Replace localstripe's sending: every event's webhooks wait for `url`, then go one event at a time."""
    gate = SiteGate(url)
    turn = asyncio.Lock()  # FIFO: events leave in the order they happened

    async def send(event) -> None:
        # The event as it is now, as Stripe's are: its object may change before the site is up.
        payload = json.dumps(event._export(), indent=2, sort_keys=True).encode()
        due = time.monotonic() + SEND_DELAY
        await gate.wait()
        async with turn:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await _post(event.type, event.created, payload)

    webhooks._send_webhook = send  # localstripe's schedule_webhook looks it up at each event
    return gate
