"""gunicorn settings for every production start: the Docker image's CMD, docker-compose, the
systemd unit (deploy/systemd/arrears-web.service) and scripts/smoke-prod.sh all run
`gunicorn -c gunicorn.conf.py config.wsgi:application`. Each value can be overridden from the
environment (GUNICORN_*) without editing this file; the defaults are sized for the 2-core
virtual machine a city's IT office typically provides."""

import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Where the reverse proxy (deploy/nginx/arrears.conf) connects. 0.0.0.0 inside a container;
# on a host without Docker set GUNICORN_BIND=127.0.0.1:8000 so only the proxy reaches it (the
# app trusts X-Forwarded-Proto, so nothing else may talk to gunicorn directly).
bind = [os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")]

# Threaded workers: a request mostly waits on PostgreSQL or streams an export, which threads
# overlap; separate processes use both cores for Python work (template rendering, dashboards),
# which the GIL keeps from running in parallel threads. 3 processes (cores + 1) x 4 threads
# serve 12 requests at once with ~3 x 100 MB of memory, and hold at most 12 PostgreSQL
# connections per node (CONN_MAX_AGE keeps one per thread), well under PostgreSQL's 100.
# Raise GUNICORN_WORKERS with the cores, not past 2 x cores + 1.
worker_class = "gthread"
workers = _env_int("GUNICORN_WORKERS", 3)
threads = _env_int("GUNICORN_THREADS", 4)

# A worker whose main loop has not checked in for this long is killed and replaced: it catches
# a wedged process. No request does long work — exports past a few thousand rows and large
# imports run as background jobs in the Celery worker (arrears/jobs.py) — so nothing legitimate
# comes near it; the proxy's read timeout (60 s) bounds requests.
timeout = _env_int("GUNICORN_TIMEOUT", 60)

# On a restart or upgrade (SIGTERM/SIGHUP) requests in flight get this long to finish before
# their worker is killed. systemd's TimeoutStopSec and compose's stop_grace_period are longer,
# so gunicorn, not the supervisor, decides.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)

# Replace each worker after about this many requests: bounds slow memory growth (openpyxl,
# caches of long-lived processes). The jitter spreads the restarts so the workers are never all
# restarting at once.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Idle keep-alive connections from the proxy are held this long. Longer than the proxy's own
# upstream keepalive_timeout (60 s in deploy/nginx/arrears.conf) so that the proxy, not
# gunicorn, closes an idle connection; otherwise a request could be sent on a connection
# gunicorn is closing. Idle connections wait in the worker's poller and take no thread.
keepalive = _env_int("GUNICORN_KEEPALIVE", 75)

# Logs to stdout/stderr: journald (systemd) or the container runtime collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# One line per request: client (the proxy) and the original client from X-Forwarded-For, the
# request line, status, bytes, duration in milliseconds, and the request id the application
# sends back in X-Request-ID, which joins this line to the application's own log lines.
access_log_format = (
    '%(h)s xff="%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s %(M)sms '
    'rid=%({x-request-id}o)s "%(f)s" "%(a)s"'
)

# Workers signal liveness by touching a file; on a container's overlay filesystem that write
# can stall for seconds, so use the in-memory /dev/shm where there is one (gunicorn creates a
# private, uniquely named file there, so the shared folder is safe).
_SHM = "/dev/shm"  # noqa: S108
if os.path.isdir(_SHM):
    worker_tmp_dir = _SHM

# gunicornc's control socket is not used here (systemd and compose restart the service), and
# the default location under $HOME is not writable for the service user in the image.
control_socket_disable = True

proc_name = "arrears-web"
