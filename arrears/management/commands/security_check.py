"""`manage.py security_check`: each level-3 requirement (等保 2.0) beside the feature and setting
that meet it, and its state in this installation (arrears/security_check.py). Exits 1 when an
item fails, so a deployment pipeline can stop on it; warnings and what the deployment must
provide are printed but do not fail."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from arrears import security_check

MARKS = {"ok": "通过", "warn": "注意", "fail": "不符合", "deploy": "部署方"}


class Command(BaseCommand):
    help = "等保三级应用层要求逐项检查 / Level-3 application controls, checked"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="one JSON list, for tooling")

    def handle(self, *args: Any, **options: Any) -> None:
        results = security_check.run()
        if options["json"]:
            rows = [
                {
                    "area": security_check.AREAS[item.area],
                    "requirement": item.requirement,
                    "feature": item.feature,
                    "setting": item.setting,
                    "state": state,
                    "detail": detail,
                }
                for item, state, detail in results
            ]
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            area = ""
            for item, state, detail in results:
                if item.area != area:
                    area = item.area
                    self.stdout.write(f"\n{security_check.AREAS[area]}")
                line = f"  [{MARKS[state]}] {item.requirement}：{item.feature}（{item.setting}）"
                self.stdout.write(f"{line}\n        {detail}")
        failed = [item.requirement for item, state, _detail in results if state == "fail"]
        if failed:
            raise CommandError("不符合：" + "、".join(failed))
