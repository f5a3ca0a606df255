"""docs/metrics.md must say what the code computes: every label and definition, word for word."""

from __future__ import annotations

from pathlib import Path

from django.utils import translation

from reporting import metrics
from reporting.assessment.indicators import INDICATORS

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_every_metric_is_defined_in_the_docs() -> None:
    text = DOC.read_text(encoding="utf-8")
    with translation.override("zh-hans"):
        for key, metric in metrics.METRICS.items():
            row = f"| `{key}` | {metric.label} | {metric.definition} | `{metric.subset}` |"
            assert row in text, key
        assert str(metrics.AVG_DAYS_CHANGE_DEFINITION) in text


def test_every_assessment_indicator_is_defined_in_the_docs() -> None:
    text = DOC.read_text(encoding="utf-8")
    with translation.override("zh-hans"):
        for key, indicator in INDICATORS.items():
            if key in metrics.METRICS:
                continue  # a dashboard metric: the table above
            row = (
                f"| `{key}` | {indicator.label} | {indicator.definition} | {indicator.rows_label} |"
            )
            assert row in text, key
