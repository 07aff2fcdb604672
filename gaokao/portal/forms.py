from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.codes.models import Code, Table
from gaokao.codes.schools import school_choices
from gaokao.web.forms import StyledForm
from gaokao.portal.rendering import RENDERER
from gaokao.portal.services import CODE_FIELDS


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


class CandidateDataForm(StyledForm):
    """S6: what the candidate enters themselves. Identity fields are not here: they are shown
    read-only and never taken from a request. No address, postcode or recipient (O4).

    Codes are offered from the code tables; the service checks everything again."""

    default_renderer = RENDERER

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


class ResumeEntryForm(StyledForm):
    default_renderer = RENDERER

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


class FamilyMemberForm(StyledForm):
    default_renderer = RENDERER

    name = forms.CharField(label=_("Name"), max_length=20, required=False)
    relation = forms.CharField(label=_("Relation"), max_length=10, required=False)
    employer = forms.CharField(label=_("Employer"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )


ResumeFormSet = forms.formset_factory(
    ResumeEntryForm, extra=2, max_num=12, validate_max=True, renderer=RENDERER
)
FamilyFormSet = forms.formset_factory(
    FamilyMemberForm, extra=2, max_num=12, validate_max=True, renderer=RENDERER
)


class ConfirmSaveForm(StyledForm):
    default_renderer = RENDERER

    confirmation_password = forms.CharField(
        label=_("Confirmation password"),
        strip=False,
        help_text=_("The second password you set after your first sign-in."),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


def data_forms(candidate, data=None, *, open_now: bool):
    """The candidate-data form and the résumé and family formsets, bound to `data` when
    posted (rows posted are taken as they are: with `initial`, an unchanged row would look
    empty), read-only when the window is closed. Used by the candidate's page and by the
    staff's paper-form page."""
    from gaokao.portal.services import DATA_FIELDS, saved_rows

    initial = {name: getattr(candidate, name) for name in DATA_FIELDS}
    initial["version"] = candidate.version
    form = CandidateDataForm(
        data, initial=initial, county=candidate.point.county, read_only=not open_now
    )
    if data is not None:
        resume_set = ResumeFormSet(data, prefix="resume")
        family_set = FamilyFormSet(data, prefix="family")
    else:
        resume, family = saved_rows(candidate)
        resume_set = ResumeFormSet(initial=resume, prefix="resume")
        family_set = FamilyFormSet(initial=family, prefix="family")
    if not open_now:
        for row in (*resume_set.forms, *family_set.forms):
            for field in row.fields.values():
                field.disabled = True
    return form, resume_set, family_set
