"""Build the deterministic demo city: organisation, one user per role, the calendar, and
whatever each app's demo module adds. Safe to run twice (it adds what is missing)."""

from __future__ import annotations

import base64
import importlib
import random
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from arrears import audit, demo
from arrears.models import County


class Command(BaseCommand):
    help = "生成演示数据 / Seed the demo city"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=20260101, help="random seed")
        parser.add_argument(
            "--complaints",
            type=int,
            default=2000,
            help="how many complaints to generate (1000000 for benchmarks)",
        )
        parser.add_argument("--projects-per-county", type=int, default=20)
        parser.add_argument(
            "--cities",
            type=int,
            default=1,
            help="a demo province of this many cities (1: the demo city alone; at most 15)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if the database already has counties",
        )

    def handle(self, *args: Any, seed: int, if_empty: bool, cities: int, **options: Any) -> None:
        # options carries "complaints" and "projects_per_county" to the apps' demo modules.
        if not 1 <= cities <= len(demo.OTHER_CITIES) + 1:
            raise CommandError(f"--cities must be between 1 and {len(demo.OTHER_CITIES) + 1}")
        if if_empty and County.objects.exists():
            self.stdout.write("Database already seeded; nothing to do.")
            return
        call_command("load_calendar", stdout=self.stdout)
        rng = random.Random(seed)
        with audit.acting_as(label="command:seed_demo"), transaction.atomic():
            org = demo.seed_organisation(rng, cities=cities)
            users = demo.seed_users(rng, org["counties"], org["cities"])
        # Apps that own more demo data (projects, complaints, …) seed it in their demo.py,
        # in the order their ORDER constant gives (projects before the complaints about them).
        modules = []
        for config in apps.get_app_configs():
            if config.name == "arrears":
                continue
            try:
                modules.append(importlib.import_module(f"{config.name}.demo"))
            except ModuleNotFoundError:
                continue
        for module in sorted(modules, key=lambda m: getattr(m, "ORDER", 100)):
            with audit.acting_as(label="command:seed_demo"):
                module.seed(rng=rng, options=options, stdout=self.stdout, org=org)
        with audit.acting_as(label="command:seed_demo"):
            two_factor = demo.seed_two_factor([username for username, _r, _n in users])
        self.stdout.write(self.style.SUCCESS("Demo city ready. Users (demo only):"))
        for username, role, name in users:
            mark = "*" if username in two_factor else " "
            self.stdout.write(f" {mark}{username:<14} {role:<12} {name}")
        self.stdout.write(
            f"Password for all of them: {demo.DEMO_PASSWORD}  "
            "(hotline12345 is a machine user without a password)"
        )
        secret = base64.b32encode(bytes.fromhex(demo.DEMO_TOTP_KEY)).decode().rstrip("=")
        self.stdout.write(
            "Two-factor sign-in (* above, demo only): with ARREARS_DEMO=1 (make run) they are "
            "signed in without a code; otherwise add this secret to an authenticator app: "
            f"{secret}  (otpauth://totp/arrears-demo?secret={secret}&issuer=arrears-demo)"
        )
