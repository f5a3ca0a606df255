"""Benchmark: a province (or one city) seeded by bench/seed_province.py — the province
overview, a city page and a county page computed; the worklist and the API list of
complaints under concurrent clients; one escalation sweep. Every figure beside a baseline
measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arrears_bench_prov \\
        .venv/bin/python bench/bench_province.py --clients 16

Dashboards (as bench/bench_reporting.py, whose hand-written SQL it reuses): for each page and
period, the median of --repeat runs of
  - sql:       one hand-written statement per table (the baseline; per city: grouped by county
               and summed per city in Python, complaints by their own city);
  - orm:       the same figures through `reporting.selectors` (raw_rollup + snapshot_rollup),
               checked equal to the SQL's;
  - dashboard: `reporting.selectors.dashboard()` (the period, its comparisons, breakdowns,
               trend, overdue units), no cache;
  - page:      the whole page through the test client, computed (`?fresh=1`), then cached.
Lists: gunicorn (--workers, local settings with DEBUG off) on 127.0.0.1, --clients processes
each signed in as a different user, --requests requests per list; requests/s and p50/p99
latency, beside `/healthz` under the same load (the cost of a request that does no work).
Sweep: --due clocks made due, one `sweep_escalations`, beside a bare UPDATE of the same rows
(bench/bench_sweep.py's baseline); the clocks are put back afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_reporting as br
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from arrears import deadlines
from arrears.models import City, County, Deadline, Notification, User
from complaints.models import Case, Complaint
from projects.models import RectificationOrder
from projects.models.compliance import CORE_ITEMS, TWO_FUNDS_ONE_BOARD
from reporting import periods, selectors

ROOT = Path(__file__).resolve().parents[1]
PORT = 8797


def hand_sql(
    params: dict[str, Any], dim: str, city_id: int | None, county_id: int | None
) -> dict[Any, dict[str, Any]]:
    """bench_reporting's statements, for a city dimension and a city filter as well."""
    county_city = dict(County.objects.values_list("pk", "city_id"))
    rows: dict[Any, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        for name, template in br.SQL.items():
            unit = "department_id" if dim == "department" else "county_id"
            if county_id:
                where = f"AND county_id = {int(county_id)}"
            elif city_id:
                where = (
                    "AND county_id IN (SELECT id FROM arrears_county"  # noqa: S608
                    f" WHERE city_id = {int(city_id)})"
                )
            else:
                where = ""
            if name == "complaints":
                # A complaint has its own city (it may wait for its county in the city's queue).
                if dim == "city":
                    unit = "city_id"
                if city_id and not county_id:
                    where = f"AND city_id = {int(city_id)}"
            sql = template.format(
                unit=unit,
                where=where,
                cwhere=where.replace("AND county_id", "AND c.county_id"),
                iwhere=where.replace("AND county_id", "AND i.county_id"),
                core=br._items(CORE_ITEMS),
                two=br._items(TWO_FUNDS_ONE_BOARD),
            )
            cursor.execute(sql, params)
            columns = [c.name for c in cursor.description]
            for record in cursor.fetchall():
                values = dict(zip(columns, record, strict=True))
                key = values.pop("unit")
                if dim == "city" and unit == "county_id":
                    key = county_city.get(key)
                row = rows.setdefault(key, {})
                for k, value in values.items():
                    if value is not None:
                        row[k] = row.get(k, 0) + value
    return rows


def dashboards(
    repeat: int, now: dt.datetime, which: list[str], quick: bool, with_live: bool = True
) -> None:
    staff = User.objects.filter(is_superuser=False).order_by("pk")
    user = staff.filter(role="province_office").first() or staff.filter(role="city_office").first()
    assert user is not None
    city = City.objects.filter(code="369900").first() or City.objects.order_by("code").first()
    assert city is not None
    county = County.objects.filter(city=city).order_by("code").first()
    assert county is not None
    client = signed_in(user)
    cities = City.objects.count()
    print(
        f"# dashboards: {cities} cities, {Complaint.objects.count():,} complaints, "
        f"{Case.objects.count():,} cases; user {user.username} ({user.role}); now {now:%F %T}"
    )
    print(
        "| page | period | hand SQL ms | live ORM ms | from facts ms | facts / SQL "
        "| dashboard() ms | whole page ms | page from cache ms | same figures |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    year = periods.year(2026)
    month = periods.month(2026, 11)
    pages = [
        ("province overview", "city", None, None, "/reports/"),
        (f"city page ({city.name})", "county", city.pk, None, f"/reports/cities/{city.code}/"),
        (
            f"county page ({county.name})",
            "department",
            None,
            county.pk,
            f"/reports/counties/{county.code}/",
        ),
    ]
    case_ct = ContentType.objects.get_for_model(Case).pk
    order_ct = ContentType.objects.get_for_model(RectificationOrder).pk
    for period in [p for p in (year, month) if p.kind in which]:
        for label, dim, city_id, county_id, path in pages:
            filters = selectors.Filters(period, city_id=city_id, county_id=county_id)
            s, e = period.bounds()
            params = {
                "s": s,
                "e": e,
                "d0": period.start,
                "d1": period.end,
                "now": now,
                "case_ct": case_ct,
                "order_ct": order_ct,
            }

            def sql(
                params: dict[str, Any] = params,
                dim: str = dim,
                city_id: int | None = city_id,
                county_id: int | None = county_id,
            ) -> Any:
                return hand_sql(params, dim, city_id, county_id)

            def orm(filters: selectors.Filters = filters, dim: str = dim) -> Any:
                rows = selectors.raw_rollup(user=user, filters=filters, dim=dim, now=now)
                for key, values in selectors.snapshot_rollup(
                    user=user, filters=filters, dim=dim, now=now
                ).items():
                    selectors.merge_rows(rows, key, values)
                return rows

            def whole(filters: selectors.Filters = filters, dim: str = dim) -> Any:
                return selectors.dashboard(user=user, filters=filters, dim=dim, now=now)

            if not quick:
                sql()  # warm the cache for both
                orm()

            def live(orm: Any = orm) -> Any:
                with override_settings(REPORTING_FACTS=False):
                    return orm()

            sql_ms, by_sql = br.median_ms(sql, repeat)
            live_ms, by_live = br.median_ms(live, repeat) if with_live else (0.0, None)
            orm_ms, by_orm = br.median_ms(orm, repeat)
            same = br._normalise(by_sql) == br._normalise(by_orm, br._keys(by_sql))
            if by_live is not None:
                same = same and br._normalise(by_live) == br._normalise(by_orm)
            # (--quick: the page alone, which computes the same dashboard() and renders it.)
            dash_ms = 0.0 if quick else br.median_ms(whole, max(1, repeat // 2))[0]
            url = f"{path}?period={period.code}"

            def fresh(url: str = url) -> Any:
                return client.get(url + "&fresh=1")  # computed, not from the cache

            def cached(url: str = url) -> Any:
                return client.get(url)

            # One request first (the first of a process loads templates, translations and the
            # session): the figure is the median of the computed pages after it.
            fresh()
            page_ms, response = br.median_ms(fresh, max(3, repeat))
            assert response.status_code == 200, (url, response.status_code)
            cached_ms, response = br.median_ms(cached, 3)
            print(
                f"| {label} | {period.label} | {sql_ms:,.0f} | {live_ms:,.0f} | {orm_ms:,.0f} | "
                f"{orm_ms / sql_ms:.2f} | {dash_ms:,.0f} | {page_ms:,.0f} | {cached_ms:,.0f} | "
                f"{'yes' if same else 'NO'} |",
                flush=True,
            )
            if not same:
                print(
                    "  differences:",
                    br._diff(br._normalise(by_sql), br._normalise(by_orm, br._keys(by_sql))),
                )


def signed_in(user: User) -> Client:
    """A test client signed in as user, past the second factor: a session verified by the
    user's confirmed device, as the verify step leaves it (demo users have the demo one)."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _session(user: User) -> str:
    return signed_in(user).cookies["sessionid"].value


def _get(url: str, cookie: str) -> tuple[int, float]:
    request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
        url, headers={"Cookie": f"sessionid={cookie}", "Accept": "text/html,application/json"}
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        response.read()
        status = int(response.status)
    return status, time.perf_counter() - start


def _client_process(
    url: str, cookie: str, n: int, stop_after: float, out: Any
) -> None:  # pragma: no cover - runs in a child process
    """One client: up to n requests, one after another, until the wall clock passes
    stop_after; its (status, seconds) pairs go back through `out`."""
    results: list[tuple[int, float]] = []
    while len(results) < n and time.time() < stop_after:
        results.append(_get(url, cookie))
    out.put(results)


def _load(
    base: str,
    path: str,
    cookies: list[str],
    clients: int,
    n: int,
    seconds: float,
    processes: bool = True,
) -> dict[str, float]:
    """n requests of path from `clients` concurrent clients (client i signed in as
    cookies[i]), each sending its next request when the last one answered, stopping after
    `seconds`: a slow list is measured on fewer requests, not for an hour.

    Each client is a process of its own (the default) or a thread of this one. With threads,
    a client whose response has arrived may wait for the interpreter lock behind the others
    before it reads the clock, and the wait counts as latency; at 1M, /healthz with 16
    clients: p99 594 ms as threads, 462 ms as processes, the same 206 requests/s, so most
    of the tail is the two cores' queue, not the client.
    """
    _get(base + path, cookies[0])  # warm
    results: list[tuple[int, float]] = []
    start = time.perf_counter()
    share = [n // clients + (1 if i < n % clients else 0) for i in range(clients)]
    if processes:
        context = multiprocessing.get_context("fork")
        out = context.Queue()
        stop_after = time.time() + seconds
        children = [
            context.Process(
                target=_client_process,
                args=(base + path, cookies[i % len(cookies)], share[i], stop_after, out),
            )
            for i in range(clients)
        ]
        for child in children:
            child.start()
        for _child in children:
            results.extend(out.get())
        for child in children:
            child.join()
    else:
        lock = threading.Lock()
        stop = start + seconds

        def client(i: int) -> None:
            for _ in range(share[i]):
                if time.perf_counter() >= stop:
                    return
                result = _get(base + path, cookies[i % len(cookies)])
                with lock:
                    results.append(result)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    wall = time.perf_counter() - start
    codes = {c for c, _t in results}
    assert codes == {200}, (path, codes)
    times = sorted(t for _c, t in results)
    return {
        "n": len(results),
        "rps": len(results) / wall,
        "p50": times[len(times) // 2] * 1000,
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))] * 1000,
    }


def lists(
    clients: int,
    requests: int,
    workers: int,
    seconds: float,
    port: int = PORT,
    threads: bool = False,
    only_paths: list[str] | None = None,
) -> None:
    inspectors = list(
        User.objects.filter(role="inspector", owned_cases__state__in=["filed", "accepted"])
        .distinct()
        .order_by("pk")[:clients]
    )
    office = list(
        User.objects.filter(role__in=["province_office", "city_office"], is_superuser=False)
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "ARREARS_DEMO": "1",
        "LOG_LEVEL": "WARNING",
    }
    # gunicorn's access log to /dev/null: a line per request would only slow the clients.
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        inspector_cookies = [_session(u) for u in inspectors]
        office_cookies = [_session(u) for u in office]
        print(
            f"# lists: gunicorn {workers} sync workers, {clients} client "
            f"{'threads' if threads else 'processes'} on the same machine, {requests} requests "
            "each"
        )
        print("| request | signed in as | requests | req/s | × /healthz | p50 ms | p99 ms |")
        print("|---|---|---:|---:|---:|---:|---:|")
        floor: dict[str, float] = {}
        for label, who, path, cookies in (
            ("/healthz (baseline)", "inspectors", "/healthz", inspector_cookies),
            ("/cases/ (worklist, mine)", "inspectors", "/cases/", inspector_cookies),
            ("/api/v1/complaints/", "inspectors", "/api/v1/complaints/", inspector_cookies),
            ("/api/v1/complaints/", "province/city office", "/api/v1/complaints/", office_cookies),
            ("/cases/?view=all", "province/city office", "/cases/?view=all", office_cookies),
        ):
            if only_paths and path not in only_paths and label != "/healthz (baseline)":
                continue
            r = _load(base, path, cookies, clients, requests, seconds, processes=not threads)
            floor = floor or r
            print(
                f"| {label} | {who} ({len(cookies)}) | {r['n']:.0f} | {r['rps']:,.1f} "
                f"| {r['rps'] / floor['rps']:.3f} | {r['p50']:,.0f} | {r['p99']:,.0f} |",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait()


def sweep(due: int, now: dt.datetime) -> None:
    """One sweep of `due` overdue clocks among all the running ones."""
    running = Deadline.objects.filter(state="open").count()
    # Due clocks start at the ladder's last step, so that the sweep escalates each exactly once
    # (from a lower step, a clock overdue for long would climb two steps in one sweep).
    last = len(deadlines.ladder()) - 1
    past = now - dt.timedelta(days=1)
    far = now + dt.timedelta(days=3650)
    with connection.cursor() as cursor:
        # Park every running clock's next escalation far ahead (remembering it), then make
        # `due` of them due: exactly the rows one sweep must escalate.
        cursor.execute(
            "CREATE TEMP TABLE parked AS SELECT id, next_escalation_at, escalation_level "
            "FROM arrears_deadline WHERE state = 'open'"
        )
        cursor.execute(
            "UPDATE arrears_deadline SET next_escalation_at = %s WHERE state = 'open'", [far]
        )
        cursor.execute(
            "UPDATE arrears_deadline SET next_escalation_at = %s, escalation_level = %s "
            "WHERE id IN (SELECT id FROM arrears_deadline WHERE state = 'open' "
            "ORDER BY id LIMIT %s)",
            [past, last, due],
        )
        cursor.execute("ANALYZE arrears_deadline")
    Notification.objects.all().delete()

    def bare() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE arrears_deadline SET escalation_level = escalation_level + 1 "
                "WHERE state = 'open' AND next_escalation_at <= %s",
                [now],
            )
            assert cursor.rowcount == due, cursor.rowcount
            transaction.set_rollback(True)

    t0 = time.perf_counter()
    bare()
    baseline = time.perf_counter() - t0
    t0 = time.perf_counter()
    done = deadlines.sweep_escalations(now=now)
    swept = time.perf_counter() - t0
    escalated = Deadline.objects.filter(state="open", escalation_level=last + 1).count()
    assert done == escalated == due, (done, escalated)
    t0 = time.perf_counter()
    deadlines.sweep_escalations(now=now)
    idle = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE arrears_deadline d SET next_escalation_at = p.next_escalation_at, "
            "escalation_level = p.escalation_level FROM parked p WHERE p.id = d.id"
        )
        cursor.execute("DROP TABLE parked")
    print(f"# one escalation sweep, {due:,} due among {running:,} running clocks")
    print(
        "| running clocks | bare UPDATE of the due rows (baseline), s | sweep, s | × baseline "
        "| rows escalated | idle sweep afterwards, ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {running:,} | {baseline:.3f} | {swept:.2f} | {swept / baseline:.0f} "
        f"| {escalated:,} | {idle * 1000:.1f} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=320)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60, help="time limit per list")
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=PORT, help="the lists' gunicorn port")
    parser.add_argument("--periods", choices=["year", "month"], action="append")
    parser.add_argument(
        "--quick", action="store_true", help="no warm-up run, no separate dashboard() timing"
    )
    parser.add_argument(
        "--no-live", action="store_true", help="skip the live (REPORTING_FACTS=false) column"
    )
    parser.add_argument("--only", choices=["dashboards", "lists", "sweep"], action="append")
    parser.add_argument(
        "--threads", action="store_true", help="the lists' clients as threads of one process"
    )
    parser.add_argument(
        "--path", action="append", help="only these lists (beside /healthz), e.g. /cases/"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not Complaint.objects.exists():
        sys.exit("Set DATABASE_URL to a database seeded by bench/seed_province.py.")
    now = timezone.now()
    steps = args.only or ["dashboards", "lists", "sweep"]
    if "dashboards" in steps:
        dashboards(
            args.repeat, now, args.periods or ["year", "month"], args.quick, not args.no_live
        )
    if "lists" in steps:
        lists(
            args.clients,
            args.requests,
            args.workers,
            args.seconds,
            args.port,
            threads=args.threads,
            only_paths=args.path,
        )
    if "sweep" in steps:
        sweep(args.due, now)


if __name__ == "__main__":
    main()
