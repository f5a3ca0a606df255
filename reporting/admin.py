"""Admin for the assessment's schemes (editable) and finalised results (read only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from reporting.assessment.indicators import choices
from reporting.models import (
    AssessmentIndicator,
    AssessmentResult,
    AssessmentScheme,
    AssessmentScore,
)


class IndicatorForm(forms.ModelForm):
    # The registered indicators (reporting.assessment.indicators), read when the form is built.
    key = forms.ChoiceField(label=AssessmentIndicator._meta.get_field("key").verbose_name)

    class Meta:
        model = AssessmentIndicator
        fields = ["position", "key", "kind", "weight", "target", "per_unit", "cap"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = choices()  # type: ignore[attr-defined]


class IndicatorInline(admin.TabularInline):
    model = AssessmentIndicator
    form = IndicatorForm
    extra = 0


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(admin.ModelAdmin):
    list_display = ["year", "city", "name", "grade_a_min", "grade_b_min"]
    list_filter = ["year", "city"]
    inlines = [IndicatorInline]


class ReadOnly(admin.ModelAdmin):
    """A finalised result is never changed (the model refuses it too)."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AssessmentResult)
class AssessmentResultAdmin(ReadOnly):
    list_display = ["period", "city", "finalised_by", "finalised_at"]
    list_filter = ["city"]


@admin.register(AssessmentScore)
class AssessmentScoreAdmin(ReadOnly):
    list_display = ["result", "name", "total", "grade", "rank"]
