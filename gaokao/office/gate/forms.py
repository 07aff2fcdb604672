from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.gate.models import TimeSlot
from gaokao.gate.services import MESSAGE_LIMIT, slot_regions
from gaokao.regions.models import Region
from gaokao.web.forms import StyledForm

SCOPES = [
    ("portal", _("The candidate portal")),
    ("office", _("The office web of cities, counties and points")),
    ("both", _("Both")),
]


class PauseForm(StyledForm):
    scope = forms.ChoiceField(label=_("Pause"), choices=SCOPES, initial="both")
    message = forms.CharField(
        label=_("Message shown on every paused page"),
        max_length=MESSAGE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Say why, and when to try again."),
    )


class ResumeForm(forms.Form):
    scope = forms.ChoiceField(choices=SCOPES, widget=forms.HiddenInput)


class AdmissionForm(StyledForm):
    cap = forms.IntegerField(
        label=_("Active candidate sessions at most"),
        min_value=0,
        max_value=10_000_000,
        help_text=_(
            "0: no limit. Beyond the limit, candidates who sign in wait their turn on a "
            "page that updates itself."
        ),
    )


def region_choices(province: Region) -> list:
    """Cities, each followed by its counties, grouped by city for the select."""
    regions = list(slot_regions(province).select_related("parent").order_by("code"))
    cities = [r for r in regions if r.level == Region.Level.CITY]
    groups = []
    for city in cities:
        counties = [(r.pk, r.name) for r in regions if r.parent_id == city.pk]
        whole = _("%(city)s (the whole city)") % {"city": city.name}
        groups.append((city.name, [(city.pk, whole), *counties]))
    return groups


class SlotForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    first_day = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    last_day = forms.DateField(
        label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    starts = forms.TimeField(
        label=_("Daily from"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    ends = forms.TimeField(
        label=_("Daily until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    regions = forms.TypedMultipleChoiceField(
        label=_("Cities or counties"),
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 14}),
        help_text=_(
            "Choose a city for all its counties. Hold Ctrl (or ⌘) to choose several. On "
            "days without a slot, a region's candidates may sign in at any time."
        ),
    )

    def __init__(self, *args, province: Region, instance: TimeSlot | None = None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "first_day": instance.first_day,
                    "last_day": instance.last_day,
                    "starts": instance.starts,
                    "ends": instance.ends,
                    "regions": [r.pk for r in instance.regions.all()],
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["regions"].choices = region_choices(province)
