"""Drawing a campaign's inspection list by risk, with a share drawn at random (双随机)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import config
from arrears.models import User
from projects import risk_selectors
from projects.models import CampaignDraw, DrawnProject
from projects.permissions import can_manage_campaigns

# How many factors an entry keeps as its reasons (the page shows them beside the score).
REASONS_KEPT = 3
MAX_SIZE = 1000


def campaign_draw(
    *,
    campaign: Any,
    user: User,
    size: int,
    random_percent: int | None = None,
    seed: int | None = None,
) -> CampaignDraw:
    """Draw the campaign's inspection list: the `size` projects in the drawer's scope with the
    highest risk scores, less the configured share (risk.random_percent) drawn at random
    from the rest, each with an inspector drawn at random from its department. Scores are
    read as of yesterday's end, so the stored seed and day reproduce the list; a new draw
    replaces the list in force (the old ones stay, with their seeds)."""
    if not can_manage_campaigns(user):
        raise PermissionDenied(_("只有根治欠薪办可以抽取检查名单"))
    city = campaign.city_id or user.city_id
    percent = (
        config.get("risk.random_percent", city=city) if random_percent is None else random_percent
    )
    errors: dict[str, list[str]] = {}
    if not 1 <= size <= MAX_SIZE:
        errors["size"] = [_("抽取项目数应为1至%(n)s") % {"n": MAX_SIZE}]
    if not 0 <= percent <= 100:
        errors["random_percent"] = [_("随机抽取比例应为0至100")]
    today = timezone.localdate()
    if campaign.ends_on < today:
        errors["campaign"] = [_("专项行动已结束，不能再抽取检查名单")]
    if errors:
        raise ValidationError(errors)
    seed = secrets.randbits(62) if seed is None else seed
    day = today - dt.timedelta(days=1)
    with transaction.atomic():
        n, drawn = risk_selectors.draw_compute(
            campaign=campaign, user=user, day=day, size=size, random_percent=percent, seed=seed
        )
        if not drawn:
            raise ValidationError({"size": [_("没有可抽取的在建项目")]})
        record = CampaignDraw.objects.create(
            campaign=campaign,
            drawn_by=user,
            as_of=day,
            seed=seed,
            size=size,
            random_percent=percent,
            candidates=n,
        )
        DrawnProject.objects.bulk_create(
            [
                DrawnProject(
                    draw=record,
                    rank=rank,
                    project_id=d.project_id,
                    by_risk=d.by_risk,
                    score=d.score.total,
                    reasons=[
                        {"code": c.code, "count": c.count, "points": str(c.points)}
                        for c in d.score.top(REASONS_KEPT)
                    ],
                    inspector_id=d.inspector_id,
                )
                for rank, d in enumerate(drawn, start=1)
            ]
        )
    return record
