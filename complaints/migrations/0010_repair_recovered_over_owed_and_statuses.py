"""Repair the rows the next migration's check constraints would refuse, and bring every
complaint's status in line with its case.

Cases that recorded more recovered than owed (an unchecked payment form: ¥999,999 on a
¥156,000 case) or more workers paid than owed. Which side to correct? The payments are
installments an officer recorded as paid, each with its date and entry on the timeline;
the amount owed is the complainants' estimate at intake. So the estimate is raised to what
was paid (and the workers owed to the workers paid) — never a payment lowered or deleted —
and each raise is written on the case's timeline as a revision of the amount owed, old →
new, with the reason, exactly like one an officer records (case_revise_owed). The figures
were wrong either way; this keeps every yuan that was recorded traceable and lets the
officer revise again (or reopen) if a payment itself was the typing error.

Complaint statuses: before this migration a complaint stayed 已签收 while its case was
accepted, filed, closed or refused; it now follows its case (the mapping is the one in
complaints.models.complaint.STATUS_FOR_CASE_STATE, copied here as migrations must not
import app code that may change)."""

from django.db import migrations
from django.db.models import F, Q, Sum

STATUS_FOR_CASE_STATE = {
    "pending": "signed",
    "accepted": "accepted",
    "filed": "filed",
    "closed": "closed",
    "refused": "refused",
}

REASON = "数据修复：登记的追回工资（或已支付人数）超过欠薪金额（或涉及人数），按已登记的支付核增"


def repair(apps, schema_editor):
    Case = apps.get_model("complaints", "Case")
    CaseEntry = apps.get_model("complaints", "CaseEntry")
    Complaint = apps.get_model("complaints", "Complaint")
    wrong = Case.objects.filter(
        Q(recovered_amount__gt=F("amount_owed")) | Q(workers_paid__gt=F("workers_owed"))
    ).order_by("pk")
    for case in wrong.iterator(chunk_size=500):
        claimed = Complaint.objects.filter(case=case).aggregate(
            a=Sum("amount_owed"), w=Sum("workers_owed")
        )
        old_amount, old_workers = case.amount_owed, case.workers_owed
        case.amount_owed = max(case.amount_owed, case.recovered_amount)
        case.workers_owed = max(case.workers_owed, case.workers_paid)
        # The revised figures are the complaints' sum plus the adjustment (see the model).
        case.owed_adjustment = case.amount_owed - (claimed["a"] or case.amount_owed)
        case.workers_adjustment = case.workers_owed - (claimed["w"] or case.workers_owed)
        case.save(
            update_fields=["amount_owed", "workers_owed", "owed_adjustment", "workers_adjustment"]
        )
        CaseEntry.objects.create(
            case=case,
            kind="revise_owed",
            text=(
                f"欠薪金额：{old_amount:,.2f} → {case.amount_owed:,.2f} 元；"
                f"涉及人数：{old_workers} → {case.workers_owed} 人\n理由：{REASON}"
            ),
            data={
                "amount_owed": [str(old_amount), str(case.amount_owed)],
                "workers_owed": [old_workers, case.workers_owed],
                "repair": True,
            },
        )
    for state, status in STATUS_FOR_CASE_STATE.items():
        Complaint.objects.filter(case__state=state).exclude(status=status).update(status=status)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0009_money_revision_status_form_token")]

    # Reversing leaves the repaired figures and the timeline notes: they record what happened.
    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]
