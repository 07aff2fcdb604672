from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.models import EligibilityPath, EligibilityResult
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
    """S5: documents, fee and eligibility at the point."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    documents_received = forms.BooleanField(label=_("Documents received"), required=False)
    fee_yuan = forms.DecimalField(
        label=_("Registration fee paid (yuan)"),
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=2,
    )
    fee_receipt = forms.CharField(label=_("Receipt number"), max_length=40, required=False)
    eligibility = forms.ChoiceField(
        label=_("Eligibility"), choices=EligibilityResult.choices, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents_received"].widget.attrs["class"] = "form-check-input"

    @property
    def fee_fen(self) -> int | None:
        yuan = self.cleaned_data.get("fee_yuan")
        return None if yuan is None else int(yuan * 100)


class ReviewForm(StyledForm):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
