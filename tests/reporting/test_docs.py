"""docs/metrics.md must say what the code computes: every label and definition, word for word."""

from __future__ import annotations

from pathlib import Path

from django.utils import translation

from reporting import metrics

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_every_metric_is_defined_in_the_docs() -> None:
    text = DOC.read_text(encoding="utf-8")
    with translation.override("zh-hans"):
        for key, metric in metrics.METRICS.items():
            row = f"| `{key}` | {metric.label} | {metric.definition} | `{metric.subset}` |"
            assert row in text, key
        assert str(metrics.AVG_DAYS_CHANGE_DEFINITION) in text
