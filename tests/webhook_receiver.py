"""A real HTTP server on loopback that receives webhooks: it records each request and answers as told."""

import contextlib
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass(frozen=True)
class Trickle:
    """An answer sent one byte every `every` seconds (from its first byte, or only its body's), as a receiver that
    means to hold the sender would."""

    every: float
    body_only: bool = False


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Answers to give, in order (the last one repeats): a status code, (status code, seconds to wait first), or a
    # Trickle (a 200 answered a byte at a time).
    answers: list = field(default_factory=lambda: [200])
    server_names: list = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.requests) >= count, f"{len(self.requests)} of {count} webhooks arrived"
        return self.requests


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            answer = receiver.answers[min(len(receiver.requests), len(receiver.answers) - 1)]
            receiver.requests.append(Received(self.path, dict(self.headers), body))
            if isinstance(answer, Trickle):
                return self.trickle(answer)
            code, delay = answer if isinstance(answer, tuple) else (answer, 0)
            time.sleep(delay)
            self.send_response(code)
            if code in (301, 302, 307, 308):
                self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            payload = b'{"received": true}' if code < 300 else b"Internal trouble\x00 here"
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def trickle(self, answer: Trickle) -> None:
            payload = b'{"received": true}'
            head = b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(payload)
            if answer.body_only:
                self.wfile.write(head)
            slow = payload if answer.body_only else head + payload
            try:
                for byte in slow:
                    if receiver.stopped.wait(answer.every):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            except OSError:  # the sender hung up: that is the point
                pass
            self.close_connection = True

        def log_message(self, *args):  # quiet
            pass

    return Handler


@contextlib.contextmanager
def serving(*, certificate: tuple[str, str] | None = None) -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 at a free port, in a thread, while the block runs; with a certificate
    (its cert and key files, for `localhost`) it speaks https, and records the server names clients asked for."""
    holder = Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(holder))
    port = server.server_address[1]
    holder.url = f"http://127.0.0.1:{port}/hooks/haulmatch"
    if certificate:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate)
        holder.server_names = []
        context.sni_callback = lambda sock, name, ctx: holder.server_names.append(name)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        holder.url = f"https://localhost:{port}/hooks/haulmatch"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder
    finally:
        holder.stopped.set()
        server.shutdown()
        server.server_close()
