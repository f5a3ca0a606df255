"""Demo construction projects: about twenty per county, deterministic."""

from __future__ import annotations

import random
from typing import Any

from arrears.models import Industry
from projects.models import Project, ProjectStatus

PLACES = [
    "滨江",
    "湖畔",
    "城南",
    "城北",
    "新城",
    "高新",
    "工业园",
    "学府",
    "翠湖",
    "锦绣",
    "云岭",
    "金沙",
    "龙湾",
    "望江",
    "青石",
]
KINDS = {
    "housing": ["花园{}期", "安置房{}标段", "人民医院住院楼", "第{}中学改扩建", "商业综合体"],
    "transport": ["快速路{}标段", "跨江大桥", "公交首末站", "国道改线{}标段"],
    "water": ["水库除险加固", "堤防整治{}段", "供水管网改造{}期"],
    "other_construction": ["光伏电站{}期", "产业园标准厂房{}号"],
}
ORDER = 10  # before complaints, which refer to projects
WEIGHTS = {"housing": 60, "transport": 20, "water": 10, "other_construction": 10}


def seed(*, rng: random.Random, options: dict[str, Any], stdout: Any, org: dict[str, Any]) -> None:
    per_county = options.get("projects_per_county", 20)
    industries = {i.code: i for i in Industry.objects.all()}
    codes = list(WEIGHTS)
    created = 0
    for county in org["counties"]:
        for n in range(1, per_county + 1):
            code = f"XM-{county.code}-{n:03d}"
            if Project.objects.filter(code=code).exists():
                continue
            industry = rng.choices(codes, weights=[WEIGHTS[c] for c in codes])[0]
            place = rng.choice(PLACES)
            name = f"{county.short_name}{place}" + rng.choice(KINDS[industry]).format(
                rng.randint(1, 5)
            )
            Project.objects.create(
                code=code,
                name=name,
                county=county,
                industry=industries[industry],
                address=f"{county.name}{place}片区{rng.randint(1, 300)}号",
                status=rng.choices(list(ProjectStatus.values), weights=[5, 75, 15, 5])[0],
            )
            created += 1
    stdout.write(f"projects: {created} created")
