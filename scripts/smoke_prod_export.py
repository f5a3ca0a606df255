"""The export-job part of `make smoke-prod` (scripts/smoke-prod.sh), against the running server,
worker and beat, with the production settings of the environment.

    smoke_prod_export.py grow --rows 100000       copy complaints until the city has that many
    smoke_prod_export.py full --base-url URL      an export of every complaint as a job: the
                                                  progress rises, the file has every row
    smoke_prod_export.py start --base-url URL     start one more and wait until it is running
                                                  (prints the job id); the caller then kills
                                                  the worker with SIGKILL and starts a new one
    smoke_prod_export.py after-kill --base-url URL --job N
                                                  the job is reported failed (lease ran out,
                                                  swept by beat on the new worker), is retried
                                                  through the page and then has every row

Logs in as the demo city office through the login form, as a browser would."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.cookiejar
import io
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# `make smoke` (the embedded defaults) runs the `full` step too, with the development settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()
# The app and its models, once Django is set up (a script, not a module Django loads).
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.oath import totp  # noqa: E402

from arrears.models import Job  # noqa: E402
from complaints.models import Complaint  # noqa: E402
from reporting.jobs import drill_rows  # noqa: E402

PASSWORD = "arrears-demo-2026"  # noqa: S105 - the demo data's shared password
# The demo users' published authenticator secret (arrears.demo.DEMO_TOTP_KEY, kept equal by
# tests/arrears/test_two_factor.py): production settings ask them for a code like anyone.
DEMO_TOTP_KEY = "617272656172732064656d6f20746f7470203236"
VERIFY = "/accounts/two-factor/verify/"


def _query() -> str:
    """Every complaint received in the last five years (the longest custom period)."""

    end = timezone.localdate()
    start = end - dt.timedelta(days=5 * 365)
    return f"subset=received&period=custom&start={start}&end={end}"


class Browser:
    """A cookie-keeping client that logs in through the form and sends the CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def _csrf(self) -> str:
        return next(c.value or "" for c in self.jar if c.name == "csrftoken")

    def get(self, path: str) -> Any:
        try:
            return self.opener.open(self.base + path, timeout=60)
        except urllib.error.HTTPError as error:  # a 4xx/5xx is an answer to check, not a crash
            return error

    def post(self, path: str, data: dict[str, str]) -> Any:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self._csrf()}).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback only
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        return self.opener.open(request, timeout=60)

    def login(self, username: str) -> None:
        self.get("/accounts/login/").read()
        response = self.post("/accounts/login/", {"username": username, "password": PASSWORD})
        assert response.status == 302, f"login answered {response.status}"
        self._second_factor()

    def _second_factor(self) -> None:
        """The verify step, when the settings ask for it (production; local settings' demo
        shortcut signs demo users in without it). An app code is accepted once per 30-second
        step and several logins (this script's, the browser check's) share a demo user, so
        the next step's code is typed (django-otp accepts one step of clock difference); if
        that step was used too, the next one is awaited (also past the throttle's delay)."""

        response = self.get("/")
        if response.status != 302 or VERIFY not in response.headers.get("Location", ""):
            return
        for attempt in range(3):
            page = self.get(VERIFY).read().decode()
            found = re.search(r'name="device"[^>]*value="([^"]+)"', page)
            assert found, "no sign-in method offered on the verify page"
            code = f"{totp(bytes.fromhex(DEMO_TOTP_KEY), drift=1):06d}"
            if self.post(VERIFY, {"device": found.group(1), "code": code}).status == 302:
                return
            time.sleep(max(2**attempt + 0.5, 31 - time.time() % 30))
        raise AssertionError("the two-factor step refused the demo code three times")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None

    def http_error_302(self, req: Any, fp: Any, code: int, msg: str, headers: Any) -> Any:
        return fp


def grow(rows: int) -> None:
    """Copies of the seeded complaints (new tracking numbers, no external reference) until the
    city holds `rows` of them: one INSERT … SELECT, seconds, not a seeding run."""

    have = Complaint.objects.count()
    if have >= rows:
        print(f"grow: {have:,} complaints already")
        return
    copies = -(-(rows - have) // have)  # ceiling
    columns = [f.column for f in Complaint._meta.concrete_fields if f.column != "id"]
    values = []
    for column in columns:
        if column == "tracking_no":
            values.append("'Z' || lpad((row_number() OVER ())::text, 11, '0')")
        elif column in ("external_id", "form_token"):  # both unique when set
            values.append("NULL")
        else:
            values.append(f'c."{column}"')
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO complaints_complaint ({names}) "  # noqa: S608 - column names from the model
            f"SELECT {', '.join(values)} FROM complaints_complaint c "
            "CROSS JOIN generate_series(1, %s) g",
            [copies],
        )
    print(f"grow: {have:,} → {Complaint.objects.count():,} complaints")


def _start_export(browser: Browser, background: bool = False) -> int:
    # ?background=1 asks for a job whatever the size (the embedded demo city is small).
    extra = "&background=1" if background else ""
    response = browser.get(f"/reports/rows.csv?{_query()}{extra}")
    assert response.status == 302, f"a large export answered {response.status}, not a redirect"
    assert response.headers["Location"] == "/jobs/", response.headers["Location"]
    page = browser.get("/jobs/").read().decode()
    ids = [int(n) for n in re.findall(r'data-testid="job-(\d+)"', page)]
    assert ids, "the jobs page lists no job"
    return max(ids)


def _job(job_id: int) -> Any:
    return Job.objects.get(pk=job_id)


def _wait(job_id: int, states: set[str], seconds: float) -> tuple[Any, list[int]]:
    seen: list[int] = []
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        job = _job(job_id)
        if not seen or seen[-1] != job.done:
            seen.append(job.done)
        if job.state in states:
            return job, seen
        time.sleep(0.2)
    raise SystemExit(f"job {job_id} still {_job(job_id).state} after {seconds:.0f} s: {seen}")


def _check_file(browser: Browser, job: Any) -> int:
    """Download the job's file as its owner; every row of the subset is in it."""

    response = browser.get(f"/jobs/{job.pk}/download/")
    assert response.status == 200, response.status
    text = response.read().decode("utf-8-sig")
    rows = sum(1 for _row in csv.reader(io.StringIO(text))) - 1  # the header
    owner = get_user_model().objects.get(pk=job.owner_id)
    expected = drill_rows(QueryDict(job.params["query"]), owner)[3].count()
    assert rows == job.done == job.total == expected, (rows, job.done, job.total, expected)
    # and nobody else may fetch it
    other = Browser(browser.base)
    other.login("leader")
    assert other.get(f"/jobs/{job.pk}/download/").status == 404
    return rows


def full(base: str, background: bool = False) -> None:
    browser = Browser(base)
    browser.login("cityoffice")
    job_id = _start_export(browser, background)
    job, seen = _wait(job_id, {"done", "failed", "cancelled"}, 300)
    assert job.state == "done", (job.state, job.error)
    rising = [n for n in seen if 0 < n < job.total]
    # A few thousand rows are written between two progress writes: only a large export shows
    # its progress rising. Through PostgreSQL COPY 100,000 rows take about a second, so one
    # reading between the start and the end is what the polling can see.
    assert background or len(rising) >= 1, f"progress was not seen rising: {seen}"
    rows = _check_file(browser, job)
    print(f"export job {job_id}: {rows:,} rows, progress seen at {rising[:6]}…")


def start(base: str) -> None:
    browser = Browser(base)
    browser.login("cityoffice")
    job_id = _start_export(browser)
    give_up = time.monotonic() + 120
    while time.monotonic() < give_up:
        job = _job(job_id)
        if job.state == "running" and job.done > 0:
            print(job_id)
            return
        assert job.state in ("queued", "running"), (job.state, job.error)
        time.sleep(0.1)
    raise SystemExit(f"job {job_id} did not start running")


def after_kill(base: str, job_id: int) -> None:
    job = _job(job_id)
    assert job.state == "running", f"the job is {job.state} right after the kill"
    # Reported: the lease runs out and beat's job sweep, run by the new worker, ends it.
    job, _seen = _wait(job_id, {"failed", "done"}, 240)
    assert job.state == "failed", f"the killed job ended {job.state}"
    assert not job.result, "a job cut short offers a file"
    print(f"job {job_id} after the kill: {job.state} — {job.error}")
    browser = Browser(base)
    browser.login("cityoffice")
    page = browser.get("/jobs/").read().decode()
    assert f'action="/jobs/{job_id}/retry/"' in page, "no retry button for the failed job"
    assert browser.post(f"/jobs/{job_id}/retry/", {}).status == 302
    job, _seen = _wait(job_id, {"done", "failed"}, 300)
    assert job.state == "done" and job.attempts == 2, (job.state, job.attempts, job.error)
    rows = _check_file(browser, job)
    print(f"job {job_id} retried: {rows:,} rows")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["grow", "full", "start", "after-kill"])
    parser.add_argument("--base-url", default=os.environ.get("BASE", ""))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--job", type=int)
    parser.add_argument("--background", action="store_true", help="ask for a job at any size")
    args = parser.parse_args()
    if args.step == "grow":
        grow(args.rows)
    elif args.step == "full":
        full(args.base_url, args.background)
    elif args.step == "start":
        start(args.base_url)
    else:
        after_kill(args.base_url, args.job)


if __name__ == "__main__":
    main()
