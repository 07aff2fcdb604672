from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.incidents import services
from gaokao.incidents.models import TEXT_LIMIT, Kind, Severity, Status
from gaokao.regions.models import Region, RegistrationPoint


class ReportForm(forms.Form):
    """Report an incident from the user's unit."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.SERIOUS
    )
    started_at = forms.DateTimeField(
        label=_("Started at"),
        help_text=_("Beijing time."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    description = forms.CharField(
        label=_("What happened"),
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What happened, where, how many candidates it affects, what you did."),
    )
    affected = forms.MultipleChoiceField(
        label=_("Also affected"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Your own unit is always affected; tick the units below it that are too."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["started_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        regions, points = services.units_below(user.unit)
        self.units = {f"r{r.pk}": r for r in regions} | {f"p{p.pk}": p for p in points}
        self.fields["affected"].choices = _grouped(user.unit, regions, points)
        if not self.units:
            del self.fields["affected"]  # a point names only itself
        for name, field in self.fields.items():
            if name in ("kind", "severity"):
                field.widget.attrs["class"] = "form-select"
            elif name != "affected":
                field.widget.attrs["class"] = "form-control"

    def clean(self):
        data = super().clean()
        data["affected_units"] = [self.units[v] for v in data.get("affected", [])]
        return data

    def affected_groups(self) -> list[tuple[str, list]]:
        """The affected-unit checkboxes by group, for the template."""
        if "affected" not in self.fields:
            return []
        widgets = {str(w.data["value"]): w for w in self["affected"]}
        return [
            (label, [widgets[value] for value, _label in choices])
            for label, choices in self.fields["affected"].choices
        ]


def _grouped(unit, regions: list[Region], points: list[RegistrationPoint]) -> list:
    """Choices grouped under the region they belong to: a county's points in one group; a
    city's counties, then each county's points; the province's cities with their counties."""
    if isinstance(unit, RegistrationPoint) or not (regions or points):
        return []
    if unit.level == Region.Level.COUNTY:
        return [(unit.name, [(f"p{p.pk}", str(p)) for p in points])]
    if unit.level == Region.Level.CITY:
        groups = [(unit.name, [(f"r{r.pk}", r.name) for r in regions])]
        by_county: dict[int, list] = {}
        for p in points:
            by_county.setdefault(p.county_id, []).append((f"p{p.pk}", str(p)))
        groups += [(r.name, by_county[r.pk]) for r in regions if r.pk in by_county]
        return groups
    cities = [r for r in regions if r.level == Region.Level.CITY]
    groups = []
    for city in cities:
        choices = [(f"r{city.pk}", city.name)]
        choices += [(f"r{r.pk}", r.name) for r in regions if r.parent_id == city.pk]
        groups.append((city.name, choices))
    return groups


class TextForm(forms.Form):
    """A comment, a note passing the incident up, a resolution, a reason to reopen: a text,
    and for state changes the version of the incident the page showed."""

    text = forms.CharField(max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, label, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = label
        self.fields["text"].widget.attrs["class"] = "form-control"


STATUS_CHOICES = [
    (Status.OPEN, _("Being handled")),
    (Status.RESOLVED, _("Resolved")),
    ("all", _("All statuses")),
]


class BoardFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Kind.choices], required=False
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=[("", _("All severities")), *Severity.choices], required=False
    )
    city = forms.ModelChoiceField(
        label=_("City"), queryset=Region.objects.none(), required=False, empty_label=_("All cities")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.role == "province":
            self.fields["city"].queryset = Region.objects.filter(parent=user.region_id)
        else:
            del self.fields["city"]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"

    def filters(self) -> dict:
        """Keyword arguments for `services.board`; open incidents unless asked otherwise."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        status = data.get("status") or Status.OPEN
        return {
            "status": "" if status == "all" else status,
            "kind": data.get("kind") or "",
            "severity": data.get("severity") or "",
            "city": data.get("city"),
        }
