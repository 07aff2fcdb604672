from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.models import EligibilityPath, EligibilityResult
from gaokao.codes.fees import expected_fee, yuan
from gaokao.codes.models import Code, Table
from gaokao.web.forms import StyledForm

MANUAL_PATHS = [(p.value, p.label) for p in EligibilityPath if p != EligibilityPath.NORMAL]


def code_choices(table: str) -> list[tuple[str, str]]:
    return [("", "—"), *Code.objects.choices(table)]


class TrackForm(StyledForm):
    subject_track = forms.ChoiceField(label=_("Subject track"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject_track"].choices = code_choices(Table.SUBJECT_TRACK)


class ManualIntakeForm(TrackForm):
    """Identity keyed in from a document (O1–O3)."""

    path = forms.ChoiceField(label=_("Eligibility path"), choices=MANUAL_PATHS)
    document_type = forms.ChoiceField(label=_("Document type"))
    id_number = forms.CharField(label=_("Document number"), max_length=30)
    name = forms.CharField(label=_("Full name"), max_length=50)
    sex = forms.ChoiceField(label=_("Sex"))
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), required=False)
    birth_date = forms.DateField(
        label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field, table in (
            ("document_type", Table.DOCUMENT_TYPE),
            ("sex", Table.SEX),
            ("ethnicity", Table.ETHNICITY),
        ):
            self.fields[field].choices = code_choices(table)


class PointChecksForm(StyledForm):
    """S5: documents, fee and eligibility at the point. The fee is the one the province
    configured for the candidate's season and subject track (gaokao.codes.fees): the point
    records it as paid or not, and never types an amount."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    documents_received = forms.BooleanField(label=_("Documents received"), required=False)
    fee_yuan = forms.ChoiceField(label=_("Registration fee"), required=False)
    fee_receipt = forms.CharField(label=_("Receipt number"), max_length=40, required=False)
    eligibility = forms.ChoiceField(
        label=_("Eligibility"), choices=EligibilityResult.choices, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    PAID = "paid"

    def __init__(self, *args, candidate=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents_received"].widget.attrs["class"] = "form-check-input"
        self.expected_fen = expected_fee(candidate) if candidate is not None else None
        recorded = candidate.fee_fen if candidate is not None else None
        self.paid_fen = self.expected_fen
        field = self.fields["fee_yuan"]
        if self.expected_fen is not None:
            paid = _("Paid: %(fee)s yuan") % {"fee": yuan(self.expected_fen)}
            field.help_text = _("The fee the province set for this subject track.")
        elif recorded is not None:  # recorded before the province set a fee: kept as it is
            self.paid_fen = recorded
            paid = _("Paid: %(fee)s yuan") % {"fee": yuan(recorded)}
            field.help_text = _("No registration fee is configured for this subject track.")
        else:
            paid = None
            field.help_text = _(
                "No registration fee is configured for this subject track; the province "
                "sets it (Registration fees)."
            )
        field.choices = [("", _("Not paid")), *([(self.PAID, paid)] if paid else [])]
        self.initial["fee_yuan"] = self.PAID if recorded is not None and paid else ""

    @property
    def fee_fen(self) -> int | None:
        return self.paid_fen if self.cleaned_data.get("fee_yuan") == self.PAID else None


class WaiveCardForm(StyledForm):
    """O3: the city lets a candidate without a card go on without a read of the new card."""

    reason = forms.CharField(
        label=_("Why the candidate goes on without a card read"),
        max_length=200,
        help_text=_("Kept on the record and in the audit trail."),
    )


class ResubmitForm(StyledForm):
    """O1-O3: a rejected identity sent back for review, with what was fixed or brought."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("What was fixed or brought since the rejection"),
        max_length=200,
        help_text=_("The reviewer reads it with the candidate's documents."),
    )


class ReviewForm(StyledForm):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
