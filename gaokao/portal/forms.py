from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.office.forms import StyledForm


class PortalSignInForm(StyledForm):
    registration_number = forms.CharField(
        label=_("Registration number"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ConfirmationPasswordForm(StyledForm):
    password = forms.CharField(
        label=_("Confirmation password"), strip=False, widget=forms.PasswordInput
    )
    password2 = forms.CharField(
        label=_("Confirmation password again"), strip=False, widget=forms.PasswordInput
    )

    def clean(self):
        data = super().clean()
        if data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data
