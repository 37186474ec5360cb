"""nginx in front of the HTTP bench's gunicorn, from production's site file (deploy/nginx/haulmatch.conf).

The site is production's with only these changes: it proxies to the bench's gunicorn port, listens on a
loopback port in plain http, not TLS, and logs to the bench's folder. Plain http because the open-loop driver opens
a new connection for every request (as sync workers close theirs): over TLS each would cost a full handshake, in
Python on the client side, on the same 2 cores as the server, which real browsers and API clients (keep-alive,
session resumption) do not pay per request; the bench would measure its own handshakes. Everything the overload
depends on (the upstream's max_conns, the 503 pages, X-Request-Start) is in the part kept.
"""

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "nginx" / "haulmatch.conf"


def require_nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        print("[http bench] installing nginx (apt-get install -y nginx)", file=sys.stderr, flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], check=False, capture_output=True)
        found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        print("the HTTP bench needs nginx: apt-get install nginx", file=sys.stderr)
        raise SystemExit(2)
    return found


def _replaced(text: str, pattern: str, replacement: str, flags: int = 0) -> str:
    """`text` with `pattern` replaced; a pattern no longer in the site file stops the bench (no silent drift)."""
    new, count = re.subn(pattern, replacement, text, flags=flags)
    if not count:
        raise SystemExit(f"{SITE} no longer has {pattern!r}: update bench/http_nginx.py")
    return new


def site(*, web_port: int, port: int, folder: Path) -> str:
    """Production's site on loopback, plain http: the https server only (the port 80 one just redirects)."""
    text = SITE.read_text()
    text = _replaced(text, r"server 127\.0\.0\.1:8000\b", f"server 127.0.0.1:{web_port}")
    text = _replaced(text, r"server \{\n    listen 80;.*?\n\}\n", "", flags=re.S)
    text = _replaced(text, r"    listen \[::\]:443 ssl http2;\n", "")
    text = _replaced(text, r"listen 443 ssl http2;", f"listen 127.0.0.1:{port};")
    text = _replaced(text, r"\n    ssl_[^\n]*", "")
    return _replaced(text, r"/var/log/nginx/haulmatch\.access\.log", str(folder / "access.log"))


def max_conns() -> int:
    """The number of requests production's nginx hands gunicorn at once."""
    return int(re.search(r"max_conns=(\d+)", SITE.read_text()).group(1))


class Nginx:
    """nginx (as many processes as cores, as Debian's nginx.conf has it) on a loopback port, its log in `folder`."""

    def __init__(self, *, web_port: int, port: int, folder: Path):
        self.port, self.folder = port, folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "haulmatch.conf").write_text(site(web_port=web_port, port=port, folder=folder))
        temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                               "uwsgi", "scgi"))  # fmt: skip
        (folder / "nginx.conf").write_text(
            f"worker_processes auto;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} error;\n"
            "events { worker_connections 1024; }\n"
            f"http {{\n{temp}\n    include {folder / 'haulmatch.conf'};\n}}\n"
        )
        binary = require_nginx()
        self.log = open(folder / "nginx.out", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log"),
             "-g", "daemon off;"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        import socket

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.process.poll() is None:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"nginx did not start: {(folder / 'error.log').read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
