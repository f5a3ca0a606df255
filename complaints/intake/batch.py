"""Taking in many complaints at once (a referring system's batch, or one referral through the
same path): every check `complaint_create` makes, in a constant number of queries per batch.

The steps are complaint_create's, each done for the whole batch: validate and route every
input against reference rows read once (`Lookups`), look up the possible duplicates of all
of them in one query, then one insert per table — the complaints, their timeline steps, the
duplicate links, the callbacks, the notifications — and their audit rows together in one
more (`audit.gathered`). A batch of 500 costs about the queries of one
referral, not 500 times them (docs/performance.md, "Intake and the sweep").

`bulk_create` skips `Complaint.save`, so what save derives is set here: the city, from the
county (or the one city of a single-city deployment), and the phone's blind index, which the
duplicate lookup needs before the insert."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import audit, offices
from arrears.models import City, Role, User
from arrears.notifications import Text
from arrears.services import Message, notifications_send
from complaints.intake import duplicates, routing
from complaints.intake.lookups import Lookups
from complaints.intake.services import (
    ComplaintData,
    _apply_route,
    _build,
    _home_city,
    _route_of,
)
from complaints.integration import sms, work_orders
from complaints.models import (
    Channel,
    Complaint,
    ComplaintEvent,
    DuplicateLink,
    EventKind,
    IntegrationClient,
)
from complaints.timeline import new_event, record_events, texts_send
from complaints.tracking import new_tracking_no

# The units' messages (services._notify_unit's), module constants so that notifications_send
# translates each once per language for the whole batch (notifications.Renderer).
TO_DISPATCH = gettext_lazy("新投诉待分派：%(e)s")
TO_SIGN = gettext_lazy("新投诉待签收：%(e)s")
WHAT_IS_OWED = gettext_lazy("%(n)s 人，%(a)s 元")


@dataclass(frozen=True)
class Entry:
    """One complaint of a batch: its input and, for a referral, the client's reference and
    the fingerprint of what was sent."""

    data: ComplaintData
    external_id: str | None = None
    payload_hash: str = ""


def complaints_create_many(
    *,
    entries: Sequence[Entry],
    channel: str,
    client: IntegrationClient | None = None,
    received_by: User | None = None,
) -> list[Complaint | ValidationError]:
    """complaint_create for each entry, in order: the saved complaint, or the ValidationError
    that refused it (the others are saved all the same). All of them in the caller's
    transaction: an IntegrityError (a reference or tracking number taken meanwhile) undoes
    the whole batch, and the caller takes the entries one at a time instead. Each saved
    complaint carries `public_event_list`, its public timeline, for the response."""
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("未知的投诉渠道")]})
    lookups = Lookups()
    lookups.preload(entry.data for entry in entries)
    home = _home_city(received_by, client)
    results: list[Complaint | ValidationError] = []
    routes: dict[int, routing.Route] = {}
    for entry in entries:
        try:
            complaint = _build(entry.data, channel, home, lookups)
        except ValidationError as exc:
            results.append(exc)
            continue
        complaint.client, complaint.external_id = client, entry.external_id
        complaint.payload_hash, complaint.received_by = entry.payload_hash, received_by
        route = _route_of(complaint, lookups)
        _apply_route(complaint, route, received_by)
        _derive(complaint, lookups.cities())
        complaint.tracking_no = new_tracking_no()
        routes[id(complaint)] = route
        results.append(complaint)
    saved = [c for c in results if isinstance(c, Complaint)]
    if not saved:
        return results
    found = duplicates.find_duplicates_many(saved)
    # The audit rows of all four tables in one append, at the end (audit.gathered): the chain's
    # lock is held from there to commit only, so concurrent batches queue for less time.
    with transaction.atomic(), audit.gathered():
        Complaint.objects.bulk_create(saved)
        work_orders.work_orders_start(saved)  # before the receipts and their callbacks
        events: list[ComplaintEvent] = []
        links: list[DuplicateLink] = []
        for complaint, matches in zip(saved, found, strict=True):
            events += _receipt(complaint, routes[id(complaint)], received_by)
            matches = matches[-duplicates.MAX_LINKS :]
            if matches:
                links += duplicates.links_for(complaint, matches)
                note = duplicates.flag_note(matches)
                events.append(new_event(complaint, EventKind.DUPLICATE_FLAGGED, note=note))
        DuplicateLink.objects.bulk_create(links)
        record_events(events)
        # The received-SMS of every complaint in the batch: one look-up and one insert for the
        # outbox rows, one for their timeline steps (bulk_create skipped Complaint.save).
        texts_send([sms.received(complaint) for complaint in saved])
        _notify_units(saved)
    public: dict[int, list[ComplaintEvent]] = {}
    for event in events:
        if event.public:
            public.setdefault(event.complaint_id, []).append(event)
    for complaint in saved:
        complaint.public_event_list = public.get(complaint.pk, [])  # type: ignore[attr-defined]
    return results


def _derive(complaint: Complaint, cities: list[City]) -> None:
    """What Complaint.save would derive: the county's city, else the only city there is; and
    the phone's blind index."""
    if complaint.county is not None:
        complaint.city = complaint.county.city
    elif complaint.city_id is None and len(cities) == 1:
        complaint.city = cities[0]
    field = Complaint._meta.get_field("complainant_phone_index")
    complaint.complainant_phone_index = field.value_for(complaint)


def _receipt(
    complaint: Complaint, route: routing.Route, actor: User | None
) -> list[ComplaintEvent]:
    """The first steps of the timeline (services._record_receipt, unsaved)."""
    received = new_event(
        complaint,
        EventKind.RECEIVED,
        actor=actor,
        public_text=_("已收到您的投诉（%(c)s）") % {"c": complaint.get_channel_display()},
    )
    if complaint.department is not None:
        routed = new_event(
            complaint,
            EventKind.ROUTED,
            department=complaint.department,
            note=route.rule,
            public_text=_("已转交%(d)s办理") % {"d": complaint.department.name},
        )
    else:
        routed = new_event(
            complaint, EventKind.DISPATCH, note=route.rule, public_text=_("已转市根治欠薪办分派")
        )
    return [received, routed]


def _notify_units(complaints: Sequence[Complaint]) -> None:
    """services._notify_unit for each complaint, with each unit's people read once."""
    departments = {c.department_id for c in complaints if c.department_id is not None}
    staff: dict[int, list[User]] = {pk: [] for pk in departments}
    if departments:
        for user in User.objects.filter(
            is_active=True,
            department_id__in=departments,
            role__in=[Role.DEPARTMENT_OFFICIAL, Role.INSPECTOR],
        ).order_by("pk"):
            staff[user.department_id].append(user)
    office: dict[int | None, list[User]] = {}
    messages = []
    for complaint in complaints:
        if complaint.department_id is None:
            if complaint.city_id not in office:
                office[complaint.city_id] = list(offices.office_users(city_id=complaint.city_id))
            recipients = office[complaint.city_id]
            title = Text(TO_DISPATCH, e=complaint.employer_name)
        else:
            recipients = staff[complaint.department_id]
            title = Text(TO_SIGN, e=complaint.employer_name)
        messages.append(
            Message(
                recipients=recipients,
                kind="complaint.incoming",
                title=title,
                body=Text(WHAT_IS_OWED, n=complaint.workers_owed, a=complaint.amount_owed),
                url=f"/complaints/{complaint.tracking_no}/",
                dedupe_key=f"complaint.incoming:{complaint.pk}:{complaint.department_id}",
                subject=complaint,
            )
        )
    notifications_send(messages)
