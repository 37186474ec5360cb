"""Where webhooks may go, and one POST to there: only public addresses (unless WEBHOOK_ALLOW_PRIVATE_URLS), https
in production, no redirects followed, and the connection made to the very address that was checked (a name that
resolves elsewhere a moment later, DNS rebinding, cannot turn a webhook inward)."""

import http.client
import io
import ipaddress
import socket
import ssl
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

READ_AT_MOST = 2000  # bytes of a receiver's answer read back (the log keeps its start)


NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 one carries (mapped, 6to4, Teredo, NAT64): a gateway may deliver to them, so they
    must be public too (Python counts these prefixes as global whatever they embed)."""
    embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if any(ip in network for network in NAT64):
        embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [address for address in embedded if address is not None]


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def _refusal(address: str) -> str | None:
    """Why webhooks may not go to this IP address, or None: only public addresses, unless settings allow private."""
    ip = ipaddress.ip_address(address)
    inner = _embedded_ipv4(ip) if ip.version == 6 else []
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS or (_public(ip) and all(_public(v4) for v4 in inner)):
        return None
    return f"{address} is a private, loopback or reserved address; webhooks go to public addresses only."


def _addresses(host: str, port: int) -> list[str]:
    """The IP addresses `host` resolves to (itself if it is one)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(info[4][0] for info in infos))


def _host_and_port(parts) -> tuple[str, int]:
    """The host in ASCII (IDNA) and the port a URL names; ValueError, saying why, for ones that cannot be reached."""
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("The port must be a number from 1 to 65535.")
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("The host name is not a valid internet name.") from None
    return host, port or (443 if parts.scheme == "https" else 80)


def check_url(url: str) -> str:
    """The URL cleaned, or a ValidationError saying why webhooks cannot go there."""
    url = url.strip()
    URLValidator(schemes=["http", "https"], message="Enter a full http:// or https:// address.")(url)
    parts = urlsplit(url)
    try:
        host, port = _host_and_port(parts)
    except ValueError as error:
        raise ValidationError(str(error)) from None
    if settings.WEBHOOK_REQUIRE_HTTPS and parts.scheme != "https":
        raise ValidationError("Use an https:// address: events carry your business's data.")
    if parts.username or parts.password:
        raise ValidationError("Leave the user name and password out of the address; check our signature instead.")
    try:
        addresses = _addresses(host, port)
    except OSError:
        return url  # not resolvable now (it may be later): each attempt checks the address it connects to
    for address in addresses:
        if reason := _refusal(address):
            raise ValidationError(reason)
    return url


class _Deadline:
    """One attempt's whole time: each socket operation may wait only for what is left of it, so a receiver that
    trickles its answer a byte at a time cannot hold the attempt past WEBHOOK_TIMEOUT_SECONDS."""

    def __init__(self, seconds: float):
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left; TimeoutError once none are."""
        left = self.ends - time.monotonic()
        if left <= 0:
            raise TimeoutError("the attempt's time is up")
        return left


class _DeadlineReader(io.RawIOBase):
    """The answer's bytes, each read given only the attempt's remaining time."""

    def __init__(self, owner: "_DeadlineSocket"):
        self.owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.owner.sock.settimeout(self.owner.deadline.left())
        return self.owner.sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            super().close()
            self.owner.release()


class _DeadlineSocket:
    """What http.client needs of a socket (sendall, makefile, close), held to the attempt's deadline; like a real
    socket, it stays open until the answer's reader is closed too (http.client closes the connection first)."""

    def __init__(self, sock, deadline: _Deadline):
        self.sock, self.deadline = sock, deadline
        self.readers, self.closing = 0, False

    def sendall(self, data) -> None:
        self.sock.settimeout(self.deadline.left())
        self.sock.sendall(data)

    def makefile(self, mode: str = "rb", *args, **kwargs):
        self.readers += 1
        return io.BufferedReader(_DeadlineReader(self))

    def release(self) -> None:
        self.readers -= 1
        if self.closing and not self.readers:
            self.sock.close()

    def close(self) -> None:
        self.closing = True
        if not self.readers:
            self.sock.close()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to a moment later."""

    def __init__(self, host, port, *, address: str, deadline: _Deadline):
        super().__init__(host, port, timeout=deadline.left())
        self.address, self.deadline = address, deadline

    def _open(self):
        return socket.create_connection((self.address, self.port), self.deadline.left())

    def connect(self):
        self.sock = _DeadlineSocket(self._open(), self.deadline)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    def __init__(self, host, port, *, address: str, deadline: _Deadline):
        super().__init__(host, port, address=address, deadline=deadline)
        self.tls = ssl.create_default_context()

    def connect(self):
        sock = self._open()
        try:
            sock.settimeout(self.deadline.left())  # the handshake too
            sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = _DeadlineSocket(sock, self.deadline)


class NotSent(Exception):
    """The attempt did not reach the receiver; the message says why, for its owner."""


def post(url: str, *, body: bytes, headers: dict) -> tuple[int, str]:
    """POST once (no redirects followed) to a checked address; the answer's status and the start of its body, all
    within WEBHOOK_TIMEOUT_SECONDS (the whole exchange, not each read)."""
    deadline = _Deadline(settings.WEBHOOK_TIMEOUT_SECONDS)
    parts = urlsplit(url)
    https = parts.scheme == "https"
    try:
        host, port = _host_and_port(parts)
        addresses = _addresses(host, port)
    except ValueError as error:
        raise NotSent(str(error)) from None
    except OSError:
        raise NotSent(f"The host {parts.hostname} could not be found.") from None
    for address in addresses:
        if reason := _refusal(address):
            raise NotSent(reason)
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = response = None
    try:
        connection = connection_class(host, port, address=addresses[0], deadline=deadline)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(READ_AT_MOST).decode("utf-8", "replace")
        return response.status, excerpt
    except TimeoutError:
        seconds = settings.WEBHOOK_TIMEOUT_SECONDS
        raise NotSent(f"No answer within {seconds} second{'s' if seconds != 1 else ''}.") from None
    except ssl.SSLError as error:
        raise NotSent(f"The secure connection failed: {error.reason or error}.") from None
    except (OSError, http.client.HTTPException) as error:
        raise NotSent(f"Could not connect: {getattr(error, 'strerror', None) or error}.") from None
    except ValueError as error:  # e.g. a header the receiver sent that http.client cannot read
        raise NotSent(f"Could not read the answer: {error}.") from None
    finally:
        if response is not None:
            response.close()
        if connection is not None:
            connection.close()
