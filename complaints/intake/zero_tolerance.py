"""零容忍: a complaint about a government-invested or state-owned project goes to its city's
task-force office at once, whoever it was routed to.

Intake never imports the projects app (it sits above this one): the project is reached
through the complaint's own foreign key, and `Project.zero_tolerance` says whether its
investment type is under zero tolerance."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from arrears import offices
from arrears.notifications import Text
from arrears.services import notification_send
from complaints.models import Complaint

KIND = "complaint.zero_tolerance"

TITLE = gettext_lazy("零容忍：政府或国有投资项目“%(p)s”被投诉拖欠工资")
BODY = gettext_lazy("%(e)s，%(n)s 人，%(a)s 元，请市根治欠薪办即时督办")


def complaint_escalate_zero_tolerance(*, complaint: Complaint) -> bool:
    """Tell the city office of a complaint about a zero-tolerance project, urgently (its
    e-mail and SMS are never held for a digest). Called at intake, at signing and wherever a
    project gets linked; once per complaint: the dedupe key is the complaint's, so a second
    call (the same complaint signed after intake told the office) sends nothing. Returns
    whether the complaint is about such a project."""
    project = complaint.project
    if project is None or not project.zero_tolerance:
        return False
    # The complaint's city, else the project's (a complaint found no city only when its
    # project named none either: then the province office hears of it).
    city_id = complaint.city_id or project.county.city_id
    notification_send(
        recipients=offices.office_users(city_id=city_id),
        kind=KIND,
        title=Text(TITLE, p=project.name),
        body=Text(
            BODY, e=complaint.employer_name, n=complaint.workers_owed, a=complaint.amount_owed
        ),
        url=f"/complaints/{complaint.tracking_no}/",
        dedupe_key=f"zero_tolerance:complaint:{complaint.pk}",
        email=True,
        sms=True,
        subject=complaint,
        urgent=True,
    )
    return True
