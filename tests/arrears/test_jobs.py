"""Background jobs (arrears/jobs.py): claimed once, progress, cancel, a dead worker's job ends
as failed and can be retried, a cut-short job never offers a file, owners only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from django.conf import settings
from django.test import Client

from arrears import jobs
from arrears.models import Job, JobState, Notification, Role
from tests.factories import CountyFactory, UserFactory

ROWS = 25


def _count_to(job: Job, progress: jobs.Progress, out: IO[bytes]) -> jobs.Outcome:
    n = int(job.params.get("n", ROWS))
    progress.expect(n)
    for i in range(n):
        out.write(f"{i}\n".encode())
        progress.advance()
        hook = HOOKS.get("after_row")
        if hook:
            hook(job, i)
    return jobs.Outcome(filename="numbers.txt")


HOOKS: dict[str, Callable[[Job, int], None]] = {}


@pytest.fixture(autouse=True)
def test_kind() -> Iterator[None]:
    jobs.register("test.count", "数数", _count_to)
    HOOKS.clear()
    yield
    jobs.REGISTRY.pop("test.count", None)
    HOOKS.clear()


@pytest.fixture
def owner(db: Any) -> Any:
    return UserFactory.create(city_office=True, email="office@example.org")


def _start(owner: Any, capture: Any, **params: Any) -> Job:
    with capture(execute=True):
        job = jobs.job_start(owner=owner, kind="test.count", params=params, summary="数字")
    job.refresh_from_db()
    return job


def test_a_job_runs_after_commit_and_offers_its_whole_file(
    owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # when a job is started (tasks run eagerly in tests, after commit)
    job = _start(owner, django_capture_on_commit_callbacks)
    # then it ran once, counted every row, and its file is complete
    assert job.state == JobState.DONE and job.attempts == 1
    assert (job.done, job.total) == (ROWS, ROWS) and job.percent == 100
    assert job.result_name == "numbers.txt" and job.expires_at is not None
    assert job.result.open("rb").read().decode().split() == [str(i) for i in range(ROWS)]
    assert job.scope["city_id"] == owner.city_id and job.params["language"]
    # the owner was told
    assert Notification.objects.filter(recipient=owner, kind="job.done").count() == 1
    # a redelivered task finds nothing to do
    assert jobs.job_run(job_id=job.pk) == "skipped"


def test_only_the_owner_sees_downloads_cancels_or_retries(
    owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = _start(owner, django_capture_on_commit_callbacks)
    mine, other = Client(), Client()
    mine.force_login(owner)
    other.force_login(UserFactory.create(city_office=True))
    download: Any = mine.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).decode().split()[-1] == str(ROWS - 1)
    assert 'filename="numbers.txt"' in download["Content-Disposition"]
    # another user — even a city-wide one — gets 404 for everything of it
    assert other.get(f"/jobs/{job.pk}/download/").status_code == 404
    assert other.post(f"/jobs/{job.pk}/cancel/").status_code == 404
    assert other.post(f"/jobs/{job.pk}/retry/").status_code == 404
    assert f"job-{job.pk}" not in other.get("/jobs/").content.decode()
    page = mine.get("/jobs/").content.decode()
    assert f'data-testid="job-{job.pk}"' in page and "数数" in page and "下载" in page


def test_the_list_polls_only_while_a_job_is_active(owner: Any) -> None:
    web = Client()
    web.force_login(owner)
    assert "hx-trigger" not in web.get("/jobs/").content.decode()
    job = jobs.job_start(owner=owner, kind="test.count", params={})  # on_commit never fires
    page = web.get("/jobs/").content.decode()
    assert 'hx-trigger="every 2s"' in page and "排队中" in page
    # the htmx request gets the table alone
    fragment = web.get("/jobs/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="jobs-table"') and f"job-{job.pk}" in fragment


def test_a_job_cut_short_leaves_no_file(
    owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def boom(job: Job, i: int) -> None:
        if i == 10:
            raise RuntimeError("disk full")

    HOOKS["after_row"] = boom
    job = _start(owner, django_capture_on_commit_callbacks)
    assert job.state == JobState.FAILED and not job.result
    assert "执行出错" in job.error
    assert list((Path(settings.MEDIA_ROOT) / "jobs" / str(job.pk)).glob("*")) == []
    assert Notification.objects.filter(recipient=owner, kind="job.failed").exists()


def test_cancel_while_running_stops_at_the_next_progress_write(
    owner: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(jobs, "FLUSH_ROWS", 5)

    def cancel(job: Job, i: int) -> None:
        if i == 7:
            jobs.job_cancel(job=job, user=owner)

    HOOKS["after_row"] = cancel
    job = _start(owner, django_capture_on_commit_callbacks)
    assert job.state == JobState.CANCELLED and not job.result
    assert job.done < ROWS
    # and a cancelled job can be run again
    HOOKS.clear()
    with django_capture_on_commit_callbacks(execute=True):
        jobs.job_retry(job=job, user=owner)
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 2 and job.done == ROWS


def test_a_queued_job_is_cancelled_at_once(owner: Any) -> None:
    job = jobs.job_start(owner=owner, kind="test.count", params={})
    jobs.job_cancel(job=job, user=owner)
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    assert jobs.job_run(job_id=job.pk) == "skipped"


def test_a_dead_workers_job_is_ended_by_the_sweep_and_can_be_retried(
    owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given a job that a worker claimed and then died on (the lease is never renewed)
    job = jobs.job_start(owner=owner, kind="test.count", params={})
    claimed_at = dt.datetime(2026, 12, 31, 15, 59, tzinfo=dt.UTC)
    Job.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, attempts=1, lease_until=claimed_at + jobs.lease(), done=7
    )
    (Path(settings.MEDIA_ROOT) / "jobs" / str(job.pk)).mkdir(parents=True, exist_ok=True)
    partial = Path(settings.MEDIA_ROOT) / "jobs" / str(job.pk) / ".partial-dead"
    partial.write_bytes(b"0\n1\n")
    # when the sweep runs before the lease ends, nothing happens; after, the job has failed
    assert jobs.jobs_sweep(now=claimed_at + dt.timedelta(seconds=5))["lost"] == 0
    assert jobs.jobs_sweep(now=claimed_at + jobs.lease() + dt.timedelta(seconds=1))["lost"] == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "执行中断" in job.error and not job.result
    assert not partial.exists()
    assert Notification.objects.filter(recipient=owner, kind="job.failed").exists()
    # then the owner retries it and it completes
    with django_capture_on_commit_callbacks(execute=True):
        jobs.job_retry(job=job, user=owner)
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 2 and job.done == ROWS


def test_a_worker_that_lost_its_job_does_not_overwrite_the_verdict(
    owner: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(jobs, "FLUSH_ROWS", 5)

    def swept(job: Job, i: int) -> None:
        if i == 3:  # the sweep thinks this worker died
            Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, claim_token=None)

    HOOKS["after_row"] = swept
    job = _start(owner, django_capture_on_commit_callbacks)
    assert job.state == JobState.FAILED and not job.result


def test_a_queued_job_whose_task_was_lost_is_sent_again(owner: Any) -> None:
    job = jobs.job_start(owner=owner, kind="test.count", params={})  # on_commit never fires
    queued = Job.objects.get(pk=job.pk).queued_at
    assert queued is not None
    assert jobs.jobs_sweep(now=queued + dt.timedelta(seconds=30))["requeued"] == 0
    # the eager task runs on the re-send
    assert jobs.jobs_sweep(now=queued + dt.timedelta(minutes=3))["requeued"] == 1
    job.refresh_from_db()
    assert job.state == JobState.DONE


def test_files_are_removed_after_their_time(
    owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = _start(owner, django_capture_on_commit_callbacks)
    path = Path(job.result.path)
    assert path.exists() and job.expires_at is not None
    assert jobs.jobs_sweep(now=job.expires_at - dt.timedelta(minutes=1))["expired"] == 0
    assert jobs.jobs_sweep(now=job.expires_at + dt.timedelta(minutes=1))["expired"] == 1
    job.refresh_from_db()
    assert not job.result and not path.exists()
    web = Client()
    web.force_login(owner)
    assert web.get(f"/jobs/{job.pk}/download/").status_code == 404
    assert "文件已过期删除" in web.get("/jobs/").content.decode()


def test_a_job_whose_owner_changed_scope_does_not_run(owner: Any) -> None:
    job = jobs.job_start(owner=owner, kind="test.count", params={})
    owner.role = Role.COUNTY_OFFICIAL
    owner.county = CountyFactory.create()
    owner.save()
    assert jobs.job_run(job_id=job.pk) == JobState.FAILED
    job.refresh_from_db()
    assert "权限范围已变更" in job.error and not job.result
