import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gaokao.regions.models import Region
from gaokao.seasons.models import Season, day_end
from gaokao.seasons.services import (
    PHASE_FIELDS,
    REASON_LIMIT,
    close_problem,
    grantable_regions,
)


class PhaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, phase):
        close = date_format(timezone.localtime(phase.ends_at), "Y-m-d H:i")
        return gettext("%(phase)s (closes %(close)s)") % {
            "phase": phase.get_kind_display(),
            "close": close,
        }


class ExtensionForm(forms.Form):
    """Grant one phase a later close for one or more regions of the province."""

    phase = PhaseChoiceField(queryset=None, label=_("Phase"), empty_label=None)
    regions = forms.TypedMultipleChoiceField(
        label=_("Regions"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "An extension for a city covers all its counties; one for the province covers "
            "the whole province."
        ),
    )
    closes_on = forms.DateField(
        label=_("New close: date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    closes_at_time = forms.TimeField(
        label=_("New close: time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time", "step": 1}),
        help_text=_("Beijing time. Leave empty to close at the end of the day (23:59:59)."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=REASON_LIMIT)

    def __init__(self, *args, season: Season, **kwargs):
        super().__init__(*args, **kwargs)
        self.season = season
        self.fields["phase"].queryset = season.phases.all()
        regions = grantable_regions(season.province)
        self.regions_by_pk = {r.pk: r for r in regions}
        self.fields["regions"].choices = _grouped_choices(season.province, regions)
        for name, field in self.fields.items():
            if name == "phase":
                field.widget.attrs["class"] = "form-select"
            elif name != "regions":
                field.widget.attrs["class"] = "form-control"

    def clean(self):
        data = super().clean()
        day, time = data.get("closes_on"), data.get("closes_at_time")
        if day is not None:
            # A date alone means the end of that day, like every window of the schedule.
            data["ends_at"] = (
                timezone.make_aware(dt.datetime.combine(day, time))
                if time is not None
                else day_end(day)
            )
            if data.get("phase") is not None:
                # Shown together with any other error; grant_extension checks it again.
                problem = close_problem(data["phase"], data["ends_at"])
                if problem:
                    self.add_error("closes_on", problem)
        data["region_objects"] = [self.regions_by_pk[pk] for pk in data.get("regions", [])]
        return data

    def region_groups(self) -> list[tuple[str, list]]:
        """The region checkboxes by city, for the template: (group label, bound widgets)."""
        widgets = {str(w.data["value"]): w for w in self["regions"]}
        groups = []
        for key, choices in self.fields["regions"].choices:
            if isinstance(choices, list | tuple):  # (city name, [(pk, label), ...])
                groups.append((key, [widgets[str(value)] for value, _label in choices]))
            else:  # (pk, label): the province on its own
                groups.append(("", [widgets[str(key)]]))
        return groups


def _grouped_choices(province: Region, regions: list[Region]) -> list:
    cities = [r for r in regions if r.level == Region.Level.CITY]
    counties: dict[int, list[Region]] = {}
    for r in regions:
        if r.level == Region.Level.COUNTY:
            counties.setdefault(r.parent_id, []).append(r)
    whole_province = gettext("%(province)s (the whole province)") % {"province": province.name}
    choices: list = [(province.pk, whole_province)]
    for city in cities:
        group = [(city.pk, gettext("%(city)s (the whole city)") % {"city": city.name})]
        group += [(c.pk, c.name) for c in counties.get(city.pk, [])]
        choices.append((city.name, group))
    return choices


class FeesForm(forms.Form):
    """报名费: the registration fee of each subject track in yuan (kept in fen), and why it
    changes. An empty amount means no fee is configured for the track."""

    reason = forms.CharField(label=_("Reason for the change"), max_length=200)

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[self.name_of(row.track.code)] = forms.DecimalField(
                label=row.track.name,
                required=False,
                min_value=0,
                max_digits=7,
                decimal_places=2,
                initial=None if row.fee_fen is None else Decimal(row.fee_fen) / 100,
                widget=forms.NumberInput(attrs={"step": "0.01", "class": "form-control"}),
            )
        self.fields["reason"].widget.attrs["class"] = "form-control"
        self.fields["reason"].help_text = _("Kept in the audit trail with the change.")

    @staticmethod
    def name_of(track: str) -> str:
        return f"track_{track}"

    def track_fields(self):
        return [(row, self[self.name_of(row.track.code)]) for row in self.rows]

    def fees(self) -> dict[str, int | None]:
        """The amounts asked for, in fen, by track code."""
        found = {}
        for row in self.rows:
            yuan = self.cleaned_data.get(self.name_of(row.track.code))
            found[row.track.code] = None if yuan is None else int(yuan * 100)
        return found


class LocalDateTimeField(forms.DateTimeField):
    """A moment in Beijing time, to the second (`<input type="datetime-local">`). A time at
    59 seconds means the end of that second, as the schedule's windows end at
    23:59:59.999999: a close shown and sent back unchanged stays as it was."""

    widget = forms.DateTimeInput(
        format="%Y-%m-%dT%H:%M:%S", attrs={"type": "datetime-local", "step": 1}
    )

    def __init__(self, *, ends: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.ends = ends
        self.widget.attrs["class"] = "form-control"

    def to_python(self, value):
        at = super().to_python(value)
        if at is not None and self.ends and at.second == 59 and at.microsecond == 0:
            at = at.replace(microsecond=999999)
        return at


class PhaseForm(forms.Form):
    """A phase's window and each level's cut-off (issue 19), and why they change."""

    starts_at = LocalDateTimeField(label=_("Opens at"), ends=False)
    ends_at = LocalDateTimeField(label=_("Closes at"))
    point_cutoff = LocalDateTimeField(
        label=_("Points' cut-off"), required=False, help_text=_("Empty: the phase's close.")
    )
    county_cutoff = LocalDateTimeField(
        label=_("Counties' cut-off"), required=False, help_text=_("Empty: the phase's close.")
    )
    city_cutoff = LocalDateTimeField(
        label=_("Cities' cut-off"), required=False, help_text=_("Empty: the phase's close.")
    )
    province_cutoff = LocalDateTimeField(
        label=_("Province's cut-off"), required=False, help_text=_("Empty: none.")
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=REASON_LIMIT,
        help_text=_("Kept in the audit trail with the change."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, phase, **kwargs):
        initial = {name: getattr(phase, name) for name in PHASE_FIELDS}
        super().__init__(*args, initial=initial, **kwargs)
        self.phase = phase

    def dates(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in PHASE_FIELDS}
