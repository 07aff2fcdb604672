from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.accounts.models import StaffUser
from gaokao.proofreading.services import NOTE_LIMIT, State
from gaokao.web.forms import StyledForm


class VersionForm(StyledForm):
    """A write about the candidate shown: refused if the record changed meanwhile."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class IdentityCheckForm(VersionForm):
    note = forms.CharField(
        label=_("Note"),
        max_length=NOTE_LIMIT,
        required=False,
        help_text=_("Which document was compared, and why the card reader was not used."),
    )


class PhoneConfirmationForm(VersionForm):
    """E6: the candidate confirmed their data on the phone."""

    called_by = forms.ModelChoiceField(label=_("Called by"), queryset=StaffUser.objects.none())
    called_at = forms.DateTimeField(
        label=_("Called at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    phone_number = forms.CharField(
        label=_("Number called"),
        max_length=20,
        help_text=_("A mobile number, or a landline with its area code."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label=_("What the candidate confirmed"),
        max_length=NOTE_LIMIT,
        help_text=_("Required: what was gone through, and any correction the candidate asked for."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Whoever called works for the same unit as the person recording the call.
        same_unit = {"point": user.point} if user.role == "point" else {"region": user.region}
        self.fields["called_by"].queryset = StaffUser.objects.filter(
            is_active=True, role=user.role, **same_unit
        ).order_by("username")
        self.fields["called_by"].label_from_instance = lambda u: u.real_name or u.username
        self.fields["called_by"].initial = user.pk


class FilterForm(StyledForm):
    """The batch page's filters, from the query string."""

    point = forms.ModelChoiceField(
        label=_("Registration point"),
        queryset=None,
        required=False,
        empty_label=_("All points"),
    )
    state = forms.ChoiceField(
        label=_("Proofreading"), choices=[("", _("Any state")), *State.choices], required=False
    )
    q = forms.CharField(label=_("Search"), max_length=50, required=False)

    def __init__(self, *args, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points
