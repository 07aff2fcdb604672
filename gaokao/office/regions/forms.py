"""The forms of the regions and points screens: the model's own fields and validation,
and the reason every change needs (issue 19)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.regions.models import Region, RegistrationPoint


def reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason for the change"),
        max_length=200,
        help_text=_("Required. It is kept in the audit trail with the change."),
    )


class Styled:
    """Bootstrap's classes on every widget, as `gaokao.web.forms.StyledForm` gives them."""

    def style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif not isinstance(widget, forms.HiddenInput):
                css = "form-select" if isinstance(widget, forms.Select) else "form-control"
                widget.attrs.setdefault("class", css)


class RegionForm(Styled, forms.ModelForm):
    """A city (name, code, active) or a county (also its city and city-county code)."""

    reason = reason_field()

    class Meta:
        model = Region
        fields = ["parent", "code", "name", "registration_code", "is_active"]
        labels = {"parent": _("City")}

    def __init__(self, *args, parents, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.level == Region.Level.COUNTY:
            choices = list(parents)
            if self.instance.parent_id and self.instance.parent not in choices:
                choices.append(self.instance.parent)
            self.fields["parent"].queryset = Region.objects.filter(pk__in=[p.pk for p in choices])
            self.fields["parent"].required = True
            self.fields["parent"].empty_label = None
            self.fields["registration_code"].help_text = _(
                "The 4 digits that begin every registration number issued in this county. "
                "Leave empty for digits 3–6 of the division code."
            )
        else:
            del self.fields["parent"], self.fields["registration_code"]
        self.style()


class PointForm(Styled, forms.ModelForm):
    """A registration point of the county: code, name, and whether it is open."""

    reason = reason_field()

    class Meta:
        model = RegistrationPoint
        fields = ["code", "name", "is_active"]
        help_texts = {"is_active": _("A closed point gets no new accounts or number ranges.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class DeleteForm(Styled, forms.Form):
    reason = reason_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()
