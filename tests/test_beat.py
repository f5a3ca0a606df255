"""Two beat processes, one schedule: with Redis, beat runs RedBeat (config/settings/base.py), and
of two `celery -A config beat` started side by side only the one holding the lock sends; when it
dies without a word (SIGKILL: no release) the other takes over once the lock has run out.

Real processes against Redis db 11. The schedule under test is one entry stored in Redis (as
RedBeat allows), every second, sending the ping task to a queue nobody consumes: each message
left there is one tick, and its `origin` header names the process that sent it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from celery import Celery
from celery.schedules import schedule
from django.conf import settings
from redbeat import RedBeatSchedulerEntry

QUEUE = "beat-test"
LOCK_SECONDS = 3
ROOT = Path(__file__).resolve().parent.parent


def _db11(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/11", "", ""))


@pytest.fixture
def broker() -> Iterator[str]:
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        pytest.skip("needs Redis: set REDIS_URL (RedBeat keeps its lock there)")
    url = _db11(url)
    client = redis.Redis.from_url(url)
    client.delete(QUEUE)
    yield url
    client.delete(QUEUE)


def _beat(url: str, prefix: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        # Not the test settings: they run every task eagerly, in the process that sends it.
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "ARREARS_VAR_DIR": str(log.parent / "var"),
        "REDIS_URL": url,
        "CELERY_BROKER_URL": url,
        "BEAT_KEY_PREFIX": prefix,
        "BEAT_LOCK_SECONDS": str(LOCK_SECONDS),
    }
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _senders(client: redis.Redis) -> list[int]:
    """The pid of the process that sent each tick, oldest first (kombu pushes on the left)."""
    messages = [json.loads(raw) for raw in reversed(client.lrange(QUEUE, 0, -1))]
    # "gen<pid>@<host>": the sending process, whichever app sent it.
    return [int(m["headers"]["origin"].split("@")[0].removeprefix("gen")) for m in messages]


def _wait(until: object, what: str, seconds: float = 20) -> None:
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        if until():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {seconds} s")


@pytest.mark.celery_worker
def test_two_beats_send_each_tick_once_and_the_second_takes_over(
    broker: str, tmp_path: Path
) -> None:
    # given a one-second entry in a schedule of this test's own (its own key prefix)
    prefix = f"arrears-test-beat-{uuid.uuid4().hex[:8]}:"
    app = Celery(broker=broker)
    app.conf.redbeat_redis_url = broker
    app.conf.redbeat_key_prefix = prefix
    RedBeatSchedulerEntry(
        "tick", "arrears.tasks.ping", schedule(1), args=["tick"], options={"queue": QUEUE}, app=app
    ).save()
    client = redis.Redis.from_url(broker)
    beats = [_beat(broker, prefix, tmp_path / f"beat-{n}.log") for n in (1, 2)]
    try:
        # when both beats run
        _wait(lambda: len(_senders(client)) >= 4, "four ticks")
        assert all(beat.poll() is None for beat in beats), "a beat process exited"
        # then every tick so far came from one of them
        senders = _senders(client)
        holders = set(senders)
        assert len(holders) == 1, f"ticks from several beats: {senders}"
        (holder,) = holders
        assert holder in {beat.pid for beat in beats}
        (standby,) = [beat for beat in beats if beat.pid != holder]
        # when the holder dies without releasing the lock
        os.kill(holder, signal.SIGKILL)
        before = len(senders)
        # then the other takes over once the lock has run out, and only it sends
        _wait(lambda: standby.pid in _senders(client), "the standby's first tick")
        _wait(lambda: len(_senders(client)) >= before + 3, "three more ticks")
        assert set(_senders(client)[before:]) == {standby.pid}
        assert standby.poll() is None
    finally:
        for beat in beats:
            if beat.poll() is None:
                beat.terminate()
        for beat in beats:
            try:
                beat.wait(timeout=15)
            except subprocess.TimeoutExpired:
                beat.kill()
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
