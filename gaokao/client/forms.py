"""The point client's forms: the candidate's own data keyed in from a paper draft form
(gaokao.candidates.own_data_forms), in the office web's styling."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.candidates import own_data_forms
from gaokao.web.forms import StyledForm


class CandidateDataForm(StyledForm, own_data_forms.CandidateDataForm):
    pass


class ResumeEntryForm(StyledForm, own_data_forms.ResumeEntryForm):
    pass


class FamilyMemberForm(StyledForm, own_data_forms.FamilyMemberForm):
    pass


ResumeFormSet = own_data_forms.rows_formset(ResumeEntryForm)
FamilyFormSet = own_data_forms.rows_formset(FamilyMemberForm)


def data_forms(candidate, data=None, *, open_now: bool):
    """The paper-form page: own_data_forms.data_forms in the office web's styling."""
    return own_data_forms.data_forms(
        candidate,
        data,
        open_now=open_now,
        form_class=CandidateDataForm,
        resume_formset=ResumeFormSet,
        family_formset=FamilyFormSet,
    )


class IncidentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, incident):
        return str(incident)


class LateFormForm(StyledForm):
    """A paper form keyed in after the window (gaokao.candidates.late_paper): the date
    written on the form and the open incident of the point it is keyed in under."""

    form_dated = forms.DateField(
        label=_("Date on the paper form"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day the candidate filled in the form. It must be inside the window."),
    )
    incident = IncidentChoiceField(
        queryset=None,
        label=_("Incident"),
        empty_label=None,
        help_text=_("The open incident (power or network cut) the form was filled in under."),
    )

    def __init__(self, *args, incidents, **kwargs):
        super().__init__(*args, prefix="late", **kwargs)
        self.fields["incident"].queryset = incidents

    def late_form(self) -> dict:
        """The arguments of services.save_paper_data for a late form."""
        return {
            "form_dated": self.cleaned_data["form_dated"],
            "incident": self.cleaned_data["incident"].pk,
        }
