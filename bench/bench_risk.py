"""Benchmark and validation of the risk score (docs/risk.md): the seeded demo city replayed
month by month. At each month end every project in construction is scored from what was
known then and the ranking is measured against the projects that received a complaint in the
next three months — ROC AUC and precision at the top k — beside two baselines, a random order
and "most complaints so far", and a variant of the score without its complaint factors (what
the other records alone tell). The weights are the configured defaults, not fitted: the
first half of the months is reported as development months (where the defaults were looked
at), the second half as held-out months.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arrears_bench_risk \\
        .venv/bin/python bench/bench_risk.py --seed 20260101 --complaints 1000 \\
        --projects-per-county 30 --months 16 --k 20

The database is seeded (migrate + seed_demo) when it has no counties; pass --reseed to start
from an empty one (it is flushed). Not part of the test suite or CI.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")

import django

django.setup()
# The project, once Django is set up (a script run by hand, not a module Django loads).
from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from arrears.models import County, User  # noqa: E402
from arrears.scoping import for_user  # noqa: E402
from projects import risk, risk_selectors, risk_validation  # noqa: E402
from projects.models import Project, ProjectStatus  # noqa: E402

NAMES = {
    "risk": "risk score",
    "risk_no_complaints": "risk score, complaint factors at 0",
    "complaints_so_far": "most complaints so far",
    "random": "random order",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=20260101, help="seed_demo's seed")
    parser.add_argument("--complaints", type=int, default=1000)
    parser.add_argument("--projects-per-county", type=int, default=30)
    parser.add_argument("--months", type=int, default=16, help="month ends replayed")
    parser.add_argument("--k", type=int, default=20, help="precision at the top k")
    parser.add_argument("--eval-seed", type=int, default=1, help="random baseline, ties")
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()

    if args.reseed:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    if not County.objects.exists():
        started = time.perf_counter()
        call_command(
            "seed_demo",
            seed=args.seed,
            complaints=args.complaints,
            projects_per_county=args.projects_per_county,
            stdout=io.StringIO(),
        )
        print(f"seeded in {time.perf_counter() - started:.1f} s")
    office = User.objects.get(username="cityoffice")
    today = timezone.localdate()
    ends = risk_validation.month_ends(today=today, months=args.months)

    started = time.perf_counter()
    projects = for_user(Project.objects.filter(status=ProjectStatus.IN_CONSTRUCTION), office)
    found = risk_selectors.histories(projects)
    context = risk_selectors.context_for(found, office.city_id)
    loaded = time.perf_counter() - started
    weights = risk_selectors.weights(office.city_id)
    histories = [found[pk] for pk in sorted(found)]
    tz = timezone.get_current_timezone()

    started = time.perf_counter()
    results = risk_validation.validate(user=office, ends=ends, k=args.k, seed=args.eval_seed)
    replayed = time.perf_counter() - started
    without = {**weights, "complaints": Decimal(0), "complaint_amount": Decimal(0)}
    variant = risk.evaluate(histories, context, without, ends, tz=tz, k=args.k, seed=args.eval_seed)

    started = time.perf_counter()
    scores = risk_selectors.scores(projects, day=today, city=office.city_id)
    scored = time.perf_counter() - started

    print(
        f"{len(found)} projects in construction; history loaded in {loaded:.2f} s; "
        f"{len(ends)} month ends replayed in {replayed:.2f} s; today's scores in {scored:.2f} s"
    )
    print(
        f"{'month end':<11}{'projects':>9}{'positive':>9}  AUC: risk / no-compl / so far / random"
        f"   P@{args.k}: risk / no-compl / so far / random"
    )
    for r, v in zip(results, variant, strict=True):
        print(
            f"{r.month_end.isoformat():<11}{r.projects:>9}{r.positives:>9}  "
            f"{_f(r.auc['risk'])} {_f(v.auc['risk'])} {_f(r.auc['complaints_so_far'])} "
            f"{_f(r.auc['random'])}   {r.precision['risk']:.2f} {v.precision['risk']:.2f} "
            f"{r.precision['complaints_so_far']:.2f} {r.precision['random']:.2f}"
        )
    half = len(results) // 2
    for label, part, vpart in (
        ("development months", results[:half], variant[:half]),
        ("held-out months", results[half:], variant[half:]),
    ):
        print(f"\n{label} ({part[0].month_end} to {part[-1].month_end}), means:")
        rows = {
            "risk": (part, "risk"),
            "risk_no_complaints": (vpart, "risk"),
            "complaints_so_far": (part, "complaints_so_far"),
            "random": (part, "random"),
        }
        for name, (source, key) in rows.items():
            aucs = [x.auc[key] for x in source if x.auc[key] is not None]
            auc = mean(a for a in aucs if a is not None) if aucs else float("nan")
            precision = mean(x.precision[key] for x in source)
            print(f"  {NAMES[name]:<36} AUC {auc:.3f}   P@{args.k} {precision:.3f}")
        base = mean(x.positives / x.projects for x in part)
        print(f"  {'share of projects complained about':<36} {base:.3f}")
    top = sorted(scores.items(), key=lambda item: (-item[1].total, item[0]))[:3]
    print("\ntoday's three highest scores and their factors:")
    for pk, s in top:
        parts = ", ".join(f"{c.code} {c.count} = {c.points}" for c in s.contributions)
        print(f"  project {pk}: {s.total} ({parts})")


def _f(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
