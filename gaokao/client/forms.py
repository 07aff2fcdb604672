"""The point client's forms: the candidate's own data keyed in from a paper draft form
(gaokao.candidates.own_data_forms), in the office web's styling."""

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
