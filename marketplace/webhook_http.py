"""Where webhooks may go, and one POST to there: only public addresses (unless WEBHOOK_ALLOW_PRIVATE_URLS), https
in production, no redirects followed, and the connection made to the very address that was checked (a name that
resolves elsewhere a moment later, DNS rebinding, cannot turn a webhook inward)."""

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

READ_AT_MOST = 2000  # bytes of a receiver's answer read back (the log keeps its start)


def _refusal(address: str) -> str | None:
    """Why webhooks may not go to this IP address, or None: only public addresses, unless settings allow private."""
    ip = ipaddress.ip_address(address)
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS or (ip.is_global and not ip.is_multicast):
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


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to a moment later."""

    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address: str, timeout: float):
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


class NotSent(Exception):
    """The attempt did not reach the receiver; the message says why, for its owner."""


def post(url: str, *, body: bytes, headers: dict) -> tuple[int, str]:
    """POST once (no redirects followed) to a checked address; the answer's status and the start of its body."""
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
    connection = connection_class(host, port, address=addresses[0], timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
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
        connection.close()
