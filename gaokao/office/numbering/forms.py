from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gaokao.numbering.models import FIRST_SERIAL, LAST_SERIAL
from gaokao.numbering.services import RangeRow


class SerialField(forms.IntegerField):
    """A 4-digit serial, shown zero-padded after the county's code (0110 + 0042)."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        super().__init__(min_value=FIRST_SERIAL, max_value=LAST_SERIAL, **kwargs)

    def widget_attrs(self, widget):
        return {
            **super().widget_attrs(widget),
            "inputmode": "numeric",
            "pattern": "[0-9]{1,4}",
            "maxlength": "4",
        }

    def prepare_value(self, value):
        try:
            return f"{int(value):04d}"
        except (TypeError, ValueError):
            return value


class ExpectedCountsForm(forms.Form):
    """The planning grid: one number input per (point, track), the candidates expected."""

    MAX_EXPECTED = LAST_SERIAL

    def __init__(self, *args, points, tracks, **kwargs):
        super().__init__(*args, **kwargs)
        self.points, self.tracks = list(points), list(tracks)
        for point in self.points:
            for track in self.tracks:
                self.fields[self.key(point, track)] = forms.IntegerField(
                    label=f"{point} · {track.name}",
                    required=False,
                    min_value=0,
                    max_value=self.MAX_EXPECTED,
                    widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
                )

    @staticmethod
    def key(point, track) -> str:
        return f"expected_{point.pk}_{track.pk}"

    def grid(self) -> list[tuple]:
        """(point, [bound field per track]) for the template."""
        return [(p, [self[self.key(p, t)] for t in self.tracks]) for p in self.points]

    def expected(self) -> dict:
        return {
            (p, t): self.cleaned_data.get(self.key(p, t)) or 0
            for p in self.points
            for t in self.tracks
        }

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not any(cleaned.values()):
            raise ValidationError(
                _("Enter the expected number of candidates for at least one point and track."),
                code="nothing_expected",
            )
        return cleaned


class RangeRowForm(forms.Form):
    """One range in the planning form (a proposal the county may adjust) or in the edit form.
    The point and track are chosen only among the county's points and the subject tracks."""

    pk = forms.IntegerField(required=False, widget=forms.HiddenInput)
    point = forms.ModelChoiceField(queryset=None, label=_("Registration point"))
    track = forms.ModelChoiceField(queryset=None, label=_("Subject track"))
    first = SerialField(label=_("First serial"))
    last = SerialField(label=_("Last serial"))
    expected_count = forms.IntegerField(
        label=_("Expected candidates"), min_value=0, required=False, initial=0
    )

    def __init__(self, *args, points, tracks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points
        self.fields["track"].queryset = tracks
        for name in ("point", "track"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        for name in ("first", "last", "expected_count"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        if first is not None and last is not None and first > last:
            raise ValidationError(
                _("The last serial must not come before the first."), code="reversed"
            )
        return cleaned

    def to_row(self) -> RangeRow:
        d = self.cleaned_data
        return RangeRow(
            point=d["point"],
            track=d["track"],
            first=d["first"],
            last=d["last"],
            expected_count=d.get("expected_count") or 0,
            pk=d.get("pk"),
        )


class BaseRangeRowFormSet(forms.BaseFormSet):
    def rows(self) -> list[RangeRow]:
        """The rows the county keeps (rows marked "leave out" are dropped)."""
        return [f.to_row() for f in self.forms if not self._should_delete_form(f)]


RangeRowFormSet = forms.formset_factory(
    RangeRowForm, formset=BaseRangeRowFormSet, extra=0, can_delete=True, max_num=1000
)


class AddRangeForm(forms.Form):
    """A further range for a point whose range runs out."""

    point = forms.ModelChoiceField(queryset=None, label=_("Registration point"))
    track = forms.ModelChoiceField(queryset=None, label=_("Subject track"))
    size = forms.IntegerField(
        label=_("Numbers in the range"), min_value=1, max_value=LAST_SERIAL, initial=50
    )

    def __init__(self, *args, points, tracks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points
        self.fields["track"].queryset = tracks
        self.fields["point"].widget.attrs["class"] = "form-select"
        self.fields["track"].widget.attrs["class"] = "form-select"
        self.fields["size"].widget.attrs["class"] = "form-control"
