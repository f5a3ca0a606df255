import django_filters

from complaints.models import Channel, Complaint, ComplaintStatus


class ComplaintFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ComplaintStatus.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    county = django_filters.CharFilter(field_name="county__code")
    received_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")
    employer = django_filters.CharFilter(field_name="employer_name", lookup_expr="icontains")

    class Meta:
        model = Complaint
        fields = ["status", "channel", "county", "received_after", "received_before", "employer"]


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ComplaintStatus.choices)
    received_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Complaint
        fields = ["status", "received_after", "received_before"]
