from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from arrears.models import DayKind


class QuickSelect(forms.Select):
    """A Select written out in Python rather than through a template per option: the same
    markup, for the long lists of a province's filters (644 departments rendered through
    Django's option template took ~150 ms of the province overview; this takes ~2 ms)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> Any:
        context = self.get_context(name, value, attrs)["widget"]
        options = []
        for _group, group_options, _index in context["optgroups"]:
            for option in group_options:
                options.append(
                    format_html(
                        '<option value="{}"{}>{}</option>',
                        option["value"] if option["value"] is not None else "",
                        mark_safe(" selected") if option["selected"] else "",
                        option["label"],
                    )
                )
        return format_html(
            '<select name="{}"{}>{}</select>',
            context["name"],
            flatatt(context["attrs"]),
            mark_safe("".join(str(o) for o in options)),  # noqa: S308 - escaped above
        )


class StyledForm(forms.Form):
    """Gives every widget Bootstrap's class, so templates render fields with {{ field }}."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class DayForm(StyledForm):
    date = forms.DateField(label=_("日期"))
    kind = forms.ChoiceField(label=_("类型"), choices=DayKind.choices)
    name = forms.CharField(label=_("名称"), max_length=50, required=False)


_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:至|~|--|\.\.)\s*(\d{4}-\d{2}-\d{2}))?\s*(.*)$")


class AnnouncementForm(StyledForm):
    """The State Council's announcement typed in: one holiday range per line, and the make-up
    workdays, e.g. "2027-02-06 至 2027-02-13 春节" and "2027-02-14 春节调休"."""

    holidays = forms.CharField(
        label=_("放假安排"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("每行一项：起始日期 至 结束日期 名称，如 2027-10-01 至 2027-10-07 国庆节"),
    )
    makeup_days = forms.CharField(
        label=_("调休上班日"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("每行一项：日期 名称，如 2027-09-26 国庆节调休"),
    )

    def _lines(self, field: str) -> list[tuple[datetime.date, datetime.date, str]]:
        result = []
        for number, raw in enumerate(self.cleaned_data.get(field, "").splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            match = _RANGE.match(line)
            try:
                if match is None:
                    raise ValueError
                start = datetime.date.fromisoformat(match.group(1))
                end = datetime.date.fromisoformat(match.group(2) or match.group(1))
            except ValueError as exc:
                raise ValidationError(
                    _("第 %(n)s 行无法识别：%(line)s"), params={"n": number, "line": line}
                ) from exc
            result.append((start, end, match.group(3).strip()))
        return result

    def clean_holidays(self) -> Any:
        return self.cleaned_data["holidays"]

    def parsed(self) -> dict[str, Any]:
        holidays = self._lines("holidays")
        makeup = [(start, name) for start, _end, name in self._lines("makeup_days")]
        return {"holidays": holidays, "makeup_days": makeup}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]
