"""The candidate's own data as forms (S6, O4): the fields, their choices from the code
tables, and the checks a browser can be told about. The candidate's page in the portal and
the point staff's paper-form page in the point client (E4, E5) use the same forms; each
front end adds its own styling and renderer by subclassing (see `data_forms`).

The forms only shape the input: gaokao.candidates.own_data checks everything again when
it writes. Identity fields are not here: they are shown read-only (`identity_rows`) and
never taken from a request."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.errors import CandidateRefused
from gaokao.candidates.models import Candidate
from gaokao.candidates.own_data import CODE_FIELDS, DATA_FIELDS, MAX_ROWS, saved_rows
from gaokao.codes.models import Code, Table
from gaokao.codes.schools import school_choices
from gaokao.privacy.masking import mask_id


class CandidateDataForm(forms.Form):
    """S6: what the candidate enters themselves. No address, postcode or recipient (O4).

    Codes are offered from the code tables; the service checks everything again."""

    SECTIONS = (
        (
            _("Basic information"),
            (
                "political_status",
                "candidate_category",
                "household_type",
                "household_region",
                "disability_category",
                "accommodations",
            ),
        ),
        (
            _("Graduation and student registration"),
            (
                "graduation_type",
                "school",
                "student_number",
                "proficiency_number",
                "foreign_language",
            ),
        ),
        (_("Contact"), ("mobile", "phone")),
        (_("Specialties, awards and punishments"), ("specialties", "awards")),
    )

    version = forms.IntegerField(widget=forms.HiddenInput)
    political_status = forms.ChoiceField(label=_("Political status"), required=False)
    candidate_category = forms.ChoiceField(label=_("Candidate category"), required=False)
    household_type = forms.ChoiceField(
        label=_("Household type"),
        required=False,
        help_text=_("Must agree with the candidate category."),
    )
    household_region = forms.CharField(
        label=_("Household region code"),
        required=False,
        max_length=6,
        help_text=_("The six-digit county code (GB/T 2260) of your household registration."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{6}"}),
    )
    disability_category = forms.ChoiceField(label=_("Disability category"), required=False)
    accommodations = forms.CharField(
        label=_("Reasonable accommodations requested"),
        required=False,
        max_length=200,
        help_text=_("For example large-print papers, braille papers or extra time."),
    )
    graduation_type = forms.ChoiceField(label=_("Graduation type"), required=False)
    school = forms.ChoiceField(
        label=_("Graduating school"),
        required=False,
        help_text=_("Schools of your own county come first. Ask your point if yours is missing."),
    )
    student_number = forms.CharField(
        label=_("Student registration number"),
        required=False,
        max_length=19,
        help_text=_("G followed by your ID number, or L followed by 18 letters or digits."),
    )
    proficiency_number = forms.CharField(
        label=_("Academic proficiency exam number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    foreign_language = forms.ChoiceField(label=_("Foreign language"), required=False)
    mobile = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=11,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    phone = forms.CharField(
        label=_("Other phone (optional)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    specialties = forms.CharField(
        label=_("Specialties"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        help_text=_("At most 500 characters."),
    )
    awards = forms.CharField(
        label=_("Awards and punishments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        help_text=_("At most 500 characters."),
    )

    def __init__(self, *args, county=None, read_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        tables = Code.objects.choices_by_table(t for t in CODE_FIELDS.values() if t != Table.SCHOOL)
        for name, table in CODE_FIELDS.items():
            if table != Table.SCHOOL:
                self.fields[name].choices = [("", "—"), *tables[table]]
        self.fields["school"].choices = school_choices(first_county=county)
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    def own_data(self) -> dict[str, Any]:
        """The cleaned values a change of the own data carries (gaokao.candidates.change_path)."""
        return {name: self.cleaned_data[name] for name in DATA_FIELDS}


class ResumeEntryForm(forms.Form):
    start = forms.CharField(
        label=_("From (YYYY-MM)"),
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "2014-09", "inputmode": "numeric"}),
    )
    end = forms.CharField(
        label=_("To (YYYY-MM)"),
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "2017-06", "inputmode": "numeric"}),
    )
    school_or_employer = forms.CharField(
        label=_("School or employer"), max_length=60, required=False
    )
    role = forms.CharField(label=_("Role"), max_length=30, required=False)


class FamilyMemberForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=20, required=False)
    relation = forms.CharField(label=_("Relation"), max_length=10, required=False)
    employer = forms.CharField(label=_("Employer"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )


def rows_formset(row_form: type[forms.Form], renderer=None) -> type[forms.BaseFormSet]:
    """Résumé or family rows: two empty rows to fill in, at most MAX_ROWS."""
    return forms.formset_factory(
        row_form, extra=2, max_num=MAX_ROWS, validate_max=True, renderer=renderer
    )


ResumeFormSet = rows_formset(ResumeEntryForm)
FamilyFormSet = rows_formset(FamilyMemberForm)


def data_forms(
    candidate: Candidate,
    data=None,
    *,
    open_now: bool,
    form_class: Callable[..., CandidateDataForm] = CandidateDataForm,
    resume_formset: type[forms.BaseFormSet] = ResumeFormSet,
    family_formset: type[forms.BaseFormSet] = FamilyFormSet,
):
    """The candidate-data form and the résumé and family formsets, bound to `data` when
    posted (rows posted are taken as they are: with `initial`, an unchanged row would look
    empty), read-only when the window is closed. A front end passes its styled classes."""
    initial = {name: getattr(candidate, name) for name in DATA_FIELDS}
    initial["version"] = candidate.version
    form = form_class(data, initial=initial, county=candidate.point.county, read_only=not open_now)
    if data is not None:
        resume_set = resume_formset(data, prefix="resume")
        family_set = family_formset(data, prefix="family")
    else:
        resume, family = saved_rows(candidate)
        resume_set = resume_formset(initial=resume, prefix="resume")
        family_set = family_formset(initial=family, prefix="family")
    if not open_now:
        for row in (*resume_set.forms, *family_set.forms):
            for field in row.fields.values():
                field.disabled = True
    return form, resume_set, family_set


def posted_rows(formset) -> list[dict[str, Any]]:
    """The rows of a valid formset that were filled in, as a change carries them."""
    return [f.cleaned_data for f in formset.forms if f.cleaned_data]


def show_refusal(
    form: CandidateDataForm, refusal: CandidateRefused, candidate: Candidate
) -> dict[str, list[str]]:
    """A refusal of a change shown on the form: errors of a field on that field; errors of
    the résumé or family rows returned under "resume" and "family". After a stale version
    the input stays, and saving again deliberately is based on the current version."""
    if getattr(refusal, "code", None) == "stale":
        form.data = form.data.copy()
        form.data["version"] = Candidate.objects.get(pk=candidate.pk).version
    row_errors = {}
    if hasattr(refusal, "error_dict"):
        for name, errors in refusal.message_dict.items():
            if name in form.fields:
                form.add_error(name, errors)
            else:
                row_errors[name] = errors
    else:
        form.add_error(None, refusal.messages)
    return row_errors


def identity_rows(candidate: Candidate, *, full_number: bool = False) -> list[tuple[str, str]]:
    """The identity the card or staff gave, as (label, value) rows: shown beside the data,
    never taken from the request. The document number in full only where the candidate
    proofreads (S7), masked elsewhere."""
    names = Code.objects.names_by_table((Table.SEX, Table.ETHNICITY, Table.DOCUMENT_TYPE))
    return [
        (gettext("Full name"), candidate.name),
        (gettext("Sex"), names[Table.SEX].get(candidate.sex, candidate.sex)),
        (
            gettext("Ethnicity"),
            names[Table.ETHNICITY].get(candidate.ethnicity, candidate.ethnicity),
        ),
        (gettext("Birth date"), candidate.birth_date.isoformat()),
        (
            gettext("Document type"),
            names[Table.DOCUMENT_TYPE].get(candidate.document_type, candidate.document_type),
        ),
        (
            gettext("Document number"),
            candidate.id_number if full_number else mask_id(candidate.id_number),
        ),
    ]
