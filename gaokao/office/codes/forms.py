from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.audit.config import REASON_LIMIT
from gaokao.codes.services import CODE_LIMIT, NAME_LIMIT


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason for the change"),
        max_length=REASON_LIMIT,
        help_text=_("Kept in the audit trail with the change."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class NewCodeForm(forms.Form):
    """A new row of a code table."""

    code = forms.CharField(
        label=_("Code"),
        max_length=CODE_LIMIT,
        help_text=_("As exchanged with the national system; it cannot change later."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_LIMIT,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    sort_order = forms.IntegerField(
        label=_("Order"),
        required=False,
        min_value=0,
        help_text=_("Empty: after the last row."),
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    reason = _reason_field()


class CodeForm(forms.Form):
    """A row's name and order, and the reason for this change, retirement, restoring or
    deletion (the button pressed says which)."""

    SAVE, RETIRE, RESTORE, DELETE = "save", "retire", "restore", "delete"

    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_LIMIT,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    sort_order = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    reason = _reason_field()
    action = forms.ChoiceField(
        choices=[(SAVE, SAVE), (RETIRE, RETIRE), (RESTORE, RESTORE), (DELETE, DELETE)],
        required=False,  # the button pressed; Enter in a field saves
    )
