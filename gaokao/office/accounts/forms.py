from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from gaokao.lib.idnumber import validate_resident_id
from gaokao.web.forms import StyledForm

mobile_number = RegexValidator(r"^1[3-9][0-9]{9}\Z", _("Enter an 11-digit mainland mobile number."))


class SignInForm(StyledForm):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)


class TotpForm(StyledForm):
    code = forms.CharField(
        label=_("Authenticator code"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class SetupForm(StyledForm):
    """Real-name authentication (实名认证) at first sign-in."""

    real_name = forms.CharField(label=_("Your name"), max_length=50)
    id_number = forms.CharField(label=_("Your ID number"), max_length=20)
    new_password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)
    new_password2 = forms.CharField(
        label=_("New password again"), widget=forms.PasswordInput, strip=False
    )
    code = TotpForm.base_fields["code"]

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("The two passwords differ."))
        return data


class AccountForm(StyledForm):
    """A new account for a unit directly below (S2)."""

    unit = forms.ChoiceField(label=_("Unit"))
    real_name = forms.CharField(label=_("Real name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"), max_length=20, validators=[validate_resident_id]
    )
    mobile = forms.CharField(label=_("Mobile number"), max_length=11, validators=[mobile_number])

    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        help_text=_("Optional. Kept in the audit trail with the new account."),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {str(u.pk): u for u in units}
        self.fields["unit"].choices = [(str(u.pk), str(u)) for u in units]

    def clean_unit(self):
        return self.units[self.cleaned_data["unit"]]


class AccountChangeForm(StyledForm):
    """Another unit directly below for an account, or its mobile number corrected; the
    reason is required (issue 19). Name and ID number are the person's own: not here."""

    unit = forms.ChoiceField(label=_("Unit"))
    mobile = forms.CharField(label=_("Mobile number"), max_length=11, validators=[mobile_number])
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=200,
        help_text=_("Required. It is kept in the audit trail with the change."),
    )

    def __init__(self, *args, account, units, **kwargs):
        kwargs.setdefault("initial", {"unit": str(account.unit.pk), "mobile": account.mobile})
        super().__init__(*args, **kwargs)
        if account.unit not in units:  # a closed unit it is in stays a choice
            units = [account.unit, *units]
        self.units = {str(u.pk): u for u in units}
        self.fields["unit"].choices = [(str(u.pk), str(u)) for u in units]

    def clean_unit(self):
        return self.units[self.cleaned_data["unit"]]


class ActionReasonForm(StyledForm):
    """The reason given when confirming an action on an account; `required` for disabling."""

    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.required = required
        field.help_text = (
            _("Required. It is kept in the audit trail with the change.")
            if required
            else _("Optional. Kept in the audit trail with the change.")
        )


class PointAccountRow(StyledForm):
    """One row of the county's "enable all points" screen; an empty row is skipped."""

    point = forms.CharField(widget=forms.HiddenInput)
    real_name = forms.CharField(label=_("Real name"), max_length=50, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=20, required=False)
    mobile = forms.CharField(label=_("Mobile number"), max_length=11, required=False)

    def clean(self):
        data = super().clean()
        filled = [data.get(f) for f in ("real_name", "id_number", "mobile")]
        if any(filled) and not all(filled):
            raise forms.ValidationError(
                _("Fill in name, ID number and mobile number, or leave the row empty.")
            )
        if all(filled):
            for field, validator in (
                ("id_number", validate_resident_id),
                ("mobile", mobile_number),
            ):
                try:
                    validator(data[field])
                except forms.ValidationError as e:
                    self.add_error(field, e)
        return data

    @property
    def is_filled(self) -> bool:
        return bool(self.cleaned_data.get("real_name"))
