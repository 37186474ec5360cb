"""gunicorn's settings for HaulMatch (`gunicorn -c deploy/gunicorn.conf.py config.wsgi`), from the environment.

gunicorn listens on loopback behind nginx (deploy/nginx/haulmatch.conf), which ends TLS and names each
request (X-Request-ID). gunicorn writes no access log: the app logs every request itself, as JSON with
that id, its status, duration and the client address the rate limits see (core/request_id.py).
"""

import multiprocessing
import os


def _integer(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Loopback only: a client that reached gunicorn directly could forge X-Forwarded-For, which the rate limits trust.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: 2 per core plus 1, the usual start for requests that wait on PostgreSQL. A request is CPU-bound
# Python for most of its time, so threads would share one core's GIL: processes, one request each.
workers = _integer("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _integer("GUNICORN_THREADS", 1)
# The kernel's queue of connections no worker has taken yet. nginx hands gunicorn at most 16 requests per worker at
# once (max_conns in deploy/nginx/haulmatch.conf: 80 on 2 cores) and answers the rest 503 itself; this must stay
# above that. The bound is for anything reaching gunicorn past nginx: beyond it the kernel stops taking connections
# (the client's retries wait) instead of queueing thousands to be served long after their clients gave up
# (gunicorn's default is 2,048).
backlog = _integer("GUNICORN_BACKLOG", max(256, 32 * workers))
# A request over this many seconds is killed (a 502 from nginx, whose proxy_read_timeout is longer). Route
# solving runs in the worker, so no request needs long.
timeout = _integer("GUNICORN_TIMEOUT", 30)
graceful_timeout = _integer("GUNICORN_GRACEFUL_TIMEOUT", 30)
# With GUNICORN_THREADS above 1 (gthread workers) nginx's upstream connections are kept open this long;
# sync workers close each connection after its answer.
keepalive = _integer("GUNICORN_KEEPALIVE", 5)
# Each worker is replaced after about this many requests (jittered by up to a tenth, so they do not restart at
# once): a slow leak in any library stays bounded. A replacement imports Django and the app again (1.3 s of CPU)
# and fills its caches on its first requests: after 1,000 requests that took healthz from
# 2,300 to 530 requests/s (at the mix's 10-20 ms a request, about a tenth of the CPU); after 20,000 it is under 1%.
# The app is not preloaded in the master (preload_app) to make replacements cheap: nothing opens a connection at
# import today (no database, Redis or Sentry socket or thread before the first request), but HUP (the unit's
# `systemctl reload`) would then fork the old code again instead of loading a release's, and any connection a
# later import opened would be shared by every worker after the fork.
max_requests = _integer("GUNICORN_MAX_REQUESTS", 20_000)
max_requests_jitter = _integer("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 10)
preload_app = False
# Only nginx on this machine may say the request came over https (X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The heartbeat file in memory, not on a disk that may stall (gunicorn's advice for containers and VMs).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
proc_name = "haulmatch-web"
# gunicornc's control socket only where asked for (the systemd unit puts it in its runtime directory).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")

accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()
# gunicorn's own lines (starting, a worker timing out) as JSON too, unless LOG_FORMAT=console.
if os.environ.get("LOG_FORMAT", "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            }
        },
        "handlers": {
            "error_console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
        },
        # The root logger is the app's (Django's LOGGING, configured when the app loads).
        "root": {"level": loglevel.upper(), "handlers": []},
        "loggers": {
            "gunicorn.error": {"handlers": ["error_console"], "level": loglevel.upper(), "propagate": False},
            "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
