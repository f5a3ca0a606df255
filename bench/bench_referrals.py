"""Benchmark: referrals pushed through the real API (gunicorn on 127.0.0.1, PostgreSQL) next
to a bare ORM insert of the same rows, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arrears_bench \\
        .venv/bin/python bench/bench_referrals.py --referrals 2000 --threads 4

Reports requests per second for POST /api/v1/referrals/ (one referral per request), for the
batch endpoint (500 per request), and rows per second for `Complaint.objects.create()` in a
loop (the baseline: what saving the same rows costs with no HTTP, validation, routing,
duplicate checks, timeline or audit trail)."""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402 - after the settings are chosen

django.setup()
# The project, once Django is set up (a script run by hand, not a module Django loads).
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from arrears import audit  # noqa: E402
from arrears.models import City, Role, User  # noqa: E402
from complaints.integration.api_keys import api_key_issue  # noqa: E402
from complaints.models import Complaint, IntegrationClient  # noqa: E402
from reporting import facts  # noqa: E402

PORT = 8799  # --port chooses another (helpers benchmarking side by side)


def referral(i: int, run: str) -> dict[str, Any]:
    return {
        "external_id": f"BENCH-{run}-{i:07d}",
        "complainant_name": "张三",
        "complainant_phone": f"139{i:08d}",
        "employer_name": f"江城测试建筑劳务有限公司{i % 500}",
        "project_address": ("东湖区", "西江区", "青山县", "不明地点")[i % 4] + "工地",
        "workers_owed": 1 + i % 20,
        "amount_owed": f"{(1 + i % 20) * 6000}.00",
        "period_start": "2026-07-01",
        "period_end": "2026-09-30",
        "facts": "工资未发。",
    }


def post(url: str, key: str, body: Any) -> int:
    request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Api-Key {key}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        response.read()
        return int(response.status)


def baseline(client: IntegrationClient, n: int, tag: str) -> float:
    """The baseline: the same rows saved one INSERT at a time, no HTTP and no business logic.
    Seconds for n rows."""
    start = time.perf_counter()
    with audit.suspended():
        for i in range(n):
            data = referral(i, tag)
            Complaint.objects.create(
                tracking_no=secrets.token_hex(5).upper(),
                channel="hotline_12345",
                external_id=data["external_id"],
                client=client,
                received_at=timezone.now(),
                complainant_name=data["complainant_name"],
                complainant_phone=data["complainant_phone"],
                employer_name=data["employer_name"],
                project_address=data["project_address"],
                workers_owed=data["workers_owed"],
                amount_owed=data["amount_owed"],
                facts=data["facts"],
            )
    return time.perf_counter() - start


def get(url: str, key: str | None) -> int:
    headers = {"Authorization": f"Api-Key {key}"} if key else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - 127.0.0.1
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.read()
        return int(error.code)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument(
        "--trigger-cost", action="store_true", help="again with the fact triggers disabled"
    )
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it will be filled with test rows).")
    call_command("migrate", verbosity=0)
    if not City.objects.exists():  # a seeded database (bench/seed_province.py) is used as is
        call_command("seed_demo", complaints=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    user, _ = User.objects.get_or_create(
        username="bench-client", defaults={"role": Role.INTEGRATION_CLIENT}
    )
    client, _ = IntegrationClient.objects.get_or_create(
        user=user, defaults={"name": "bench", "channel": "hotline_12345", "rate": "1000000/min"}
    )
    key = api_key_issue(client=client, label="bench")
    run = secrets.token_hex(3)
    # Before the server starts and again after it stopped: the same loop varied by up to 3×
    # within one run (autovacuum and checkpoints after the API's writes), so the ratios are
    # taken against the faster of the two, the harder comparison.
    orm_before = baseline(client, args.referrals, run + "i")

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        # Production refuses the public development keys; the server's rows are its own.
        "FIELD_ENCRYPTION_KEYS": "bench:" + base64.b64encode(os.urandom(32)).decode(),
        "FIELD_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
        "AUDIT_HMAC_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        # The floor's 404s would each log a warning.
        "LOG_LEVEL": "ERROR",
    }
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
            # A line per request would only slow the clients and flood the bench's output.
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        n = args.referrals

        def through_api(tag: str) -> tuple[float, float]:
            start = time.perf_counter()
            with ThreadPoolExecutor(args.threads) as pool:
                codes = list(
                    pool.map(
                        lambda i: post(f"{base}/api/v1/referrals/", key, referral(i, tag)),
                        range(n),
                    )
                )
            single = time.perf_counter() - start
            assert codes.count(201) == n, codes[:10]
            batches = [
                [referral(i, tag + "b") for i in range(j, j + 500)] for j in range(0, n, 500)
            ]
            start = time.perf_counter()
            with ThreadPoolExecutor(args.threads) as pool:
                list(
                    pool.map(
                        lambda b: post(f"{base}/api/v1/referrals/batch/", key, {"referrals": b}),
                        batches,
                    )
                )
            return single, time.perf_counter() - start

        def floor(path: str, key: str | None, expect: int) -> float:
            """What no one-per-request intake can beat on this machine: the same client
            threads and server answering a request that does (almost) nothing."""
            start = time.perf_counter()
            with ThreadPoolExecutor(args.threads) as pool:
                codes = list(pool.map(lambda _i: get(base + path, key), range(n)))
            assert codes.count(expect) == n, codes[:10]
            return time.perf_counter() - start

        floors = {
            "GET /healthz (no authentication, reads nothing)": floor("/healthz", None, 200),
            "GET /api/v1/referrals/{unknown}/ (API key, one indexed read, 404)": floor(
                f"/api/v1/referrals/BENCH-{run}-none/", key, 404
            ),
        }
        single, batched = through_api(run)
        untriggered = None
        if args.trigger_cost and facts.enabled():
            # The same with the dashboards' fact triggers disabled (restored below; the
            # figures of this database are then rebuilt by hand if anyone reads them).
            facts.set_triggers(False)
            try:
                untriggered = through_api(run + "t")
            finally:
                facts.set_triggers(True)
    finally:
        server.terminate()
        server.wait()

    orm_after = baseline(client, n, run + "o")
    orm = min(orm_before, orm_after)
    # The server's rows are encrypted with its throwaway key, which no later bench (nor the
    # local settings) can read: they go, with what hangs on them.
    with audit.suspended():
        Complaint.objects.filter(external_id__startswith=f"BENCH-{run}").only("pk").delete()

    print(
        f"# referrals through the API vs a bare ORM insert ({n:,} rows each, "
        f"{args.threads} client threads, gunicorn 2 workers)"
    )
    print("| path | rows/s | × baseline |\n|---|---:|---:|")
    print(
        f"| `Complaint.objects.create()` loop, no HTTP (baseline; before / after the API: "
        f"{n / orm_before:,.0f} / {n / orm_after:,.0f}) | {n / orm:,.0f} | 1.00 |"
    )
    print(f"| POST /api/v1/referrals/, one per request | {n / single:,.0f} | {orm / single:.2f} |")
    print(
        f"| POST /api/v1/referrals/batch/, 500 per request | {n / batched:,.0f} "
        f"| {orm / batched:.2f} |"
    )
    for label, seconds in floors.items():
        print(f"| floor: {label} | {n / seconds:,.0f} | {orm / seconds:.2f} |")
    if untriggered is not None:
        for label, seconds in zip(("one per request", "batch of 500"), untriggered, strict=True):
            print(
                f"| the same, {label}, fact triggers disabled | {n / seconds:,.0f} "
                f"| {orm / seconds:.2f} |"
            )


if __name__ == "__main__":
    main()
