"""The portal's forms: sign-in and passwords, and the candidate's own data
(gaokao.candidates.own_data_forms) in the portal's styling and fast renderer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.candidates import own_data_forms
from gaokao.portal.rendering import RENDERER
from gaokao.web.forms import StyledForm


class PortalSignInForm(StyledForm):
    default_renderer = RENDERER

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
    default_renderer = RENDERER

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


class LoginPasswordForm(StyledForm):
    default_renderer = RENDERER

    current = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        help_text=_(
            "At least 8 characters, not only digits, different from the confirmation password."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class CandidateDataForm(StyledForm, own_data_forms.CandidateDataForm):
    default_renderer = RENDERER


class ResumeEntryForm(StyledForm, own_data_forms.ResumeEntryForm):
    default_renderer = RENDERER


class FamilyMemberForm(StyledForm, own_data_forms.FamilyMemberForm):
    default_renderer = RENDERER


ResumeFormSet = own_data_forms.rows_formset(ResumeEntryForm, renderer=RENDERER)
FamilyFormSet = own_data_forms.rows_formset(FamilyMemberForm, renderer=RENDERER)


class ConfirmSaveForm(StyledForm):
    default_renderer = RENDERER

    confirmation_password = forms.CharField(
        label=_("Confirmation password"),
        strip=False,
        help_text=_("The second password you set after your first sign-in."),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


def data_forms(candidate, data=None, *, open_now: bool):
    """The candidate's page: own_data_forms.data_forms in the portal's styling."""
    return own_data_forms.data_forms(
        candidate,
        data,
        open_now=open_now,
        form_class=CandidateDataForm,
        resume_formset=ResumeFormSet,
        family_formset=FamilyFormSet,
    )
