"""Template filters of the complaints app."""

from __future__ import annotations

from django import template

from complaints.tracking import format_tracking_no

register = template.Library()


@register.filter
def tracking(value: str | None) -> str:
    """A tracking number as people read it (SJ6CZ-4STZC), whatever form it was stored in."""
    return format_tracking_no(value) if value else ""
