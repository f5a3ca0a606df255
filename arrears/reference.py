"""Reference data the system cannot run without; loaded by migration 0002 and re-ensured by
the demo seeder (transactional tests empty every table, data migrations included)."""

# (code, name, is a construction industry)
INDUSTRIES = [
    ("housing", "房屋建筑和市政基础设施", True),
    ("transport", "交通运输工程", True),
    ("water", "水利工程", True),
    ("other_construction", "其他工程建设", True),
    ("non_construction", "非工程建设领域", False),
]


def ensure_industries(industry_model: type) -> None:
    for code, name, construction in INDUSTRIES:
        industry_model.objects.get_or_create(  # type: ignore[attr-defined]
            code=code, defaults={"name": name, "is_construction": construction}
        )
