"""The decision on a conflict as a form (E5), shared by the office web's conflict page and
the point client's: a plain Django form, since its radios carry their own classes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.sync.models import Conflict

KEEP = [("point", _("The point's value")), ("server", _("The server's value"))]


class ResolveForm(forms.Form):
    """One radio pair per field of the point's change, and the record's version the
    person decided on. The button pressed says keep all of the point's values, keep the
    server's, or apply the radios."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, conflict: Conflict, labels: dict[str, str], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.names = list(conflict.point_values)
        for name in self.names:
            self.fields[f"keep_{name}"] = forms.ChoiceField(
                label=labels.get(name, name),
                choices=KEEP,
                initial="point",
                required=False,  # only the "fields" button reads them; missing: server's
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )

    def clean(self):
        # The button pressed: "point", "server" or "fields" (apply the radios).
        button = self.data.get("choice", "")
        if button not in Conflict.Resolution.values:
            raise forms.ValidationError(
                _("Choose the point's values, the server's, or field by field.")
            )
        self.cleaned_data["choice"] = button
        return self.cleaned_data

    def decision(self) -> tuple[str, list[str]]:
        """(choice, fields) for conflicts.resolve from the button and the radios."""
        button = self.cleaned_data["choice"]
        if button in (
            Conflict.Resolution.POINT,
            Conflict.Resolution.SERVER,
            Conflict.Resolution.NUMBER,  # a fresh registration number (issue 20)
        ):
            return button, []
        kept = [n for n in self.names if self.cleaned_data[f"keep_{n}"] == "point"]
        if len(kept) == len(self.names):
            return Conflict.Resolution.POINT, []
        if not kept:
            return Conflict.Resolution.SERVER, []
        return Conflict.Resolution.FIELDS, kept
