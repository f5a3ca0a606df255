"""The home page's "what do I do today": figures that domain apps register, each linking to the
list it counts. The kernel only collects them (it imports no domain app); the figures are
selectors in the apps (`reporting/today.py`), each scoped through `for_user`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from arrears.notifications import Renderable


@dataclass(frozen=True)
class Figure:
    label: Renderable
    value: Any
    url: str
    # A Bootstrap colour that means something: danger (overdue), warning (due today or soon),
    # success (done), secondary (nothing to do); "" for a plain count.
    tone: str = ""
    testid: str = ""
    # Shown as money (thousands separators, 元) rather than as a count.
    money: bool = False


@dataclass(frozen=True)
class Item:
    """One row of a short list under a section (a case waiting for an extension decision)."""

    label: str
    url: str
    note: str = ""


@dataclass(frozen=True)
class Section:
    title: Renderable
    figures: list[Figure]
    testid: str
    items: list[Item] = field(default_factory=list)
    items_title: Renderable = ""
    items_id: str = ""  # the anchor a figure links to when its list is the one below it


Provider = Callable[[Any, dt.datetime], Section | None]
PROVIDERS: list[tuple[int, Provider]] = []


def register(order: int, provider: Provider) -> None:
    """Add a section to every home page (called once per process from an app's `ready`);
    `order` places it, lower first. A provider answers None for a role it has nothing for."""
    if all(p is not provider for _, p in PROVIDERS):
        PROVIDERS.append((order, provider))
        PROVIDERS.sort(key=lambda entry: entry[0])


def sections_for(user: Any, now: dt.datetime) -> list[Section]:
    return [s for _, provider in PROVIDERS if (s := provider(user, now)) is not None]
