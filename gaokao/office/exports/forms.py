from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.candidates.models import Stage
from gaokao.codes.models import Code, Table
from gaokao.exports.services import Filters
from gaokao.web.forms import StyledForm


class ExportFilterForm(StyledForm):
    """The optional filters of an export: a subject track, a stage the user's level may
    export. Anything else is refused, never passed on to the query."""

    subject_track = forms.ChoiceField(label=_("Subject track"), required=False)
    stage = forms.ChoiceField(label=_("Submission stage"), required=False)

    def __init__(self, *args, stages: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject_track"].choices = [
            ("", _("All subject tracks")),
            *Code.objects.choices(Table.SUBJECT_TRACK),
        ]
        self.fields["stage"].choices = [
            ("", _("Every stage you may export")),
            *((s, Stage(s).label) for s in stages),
        ]

    def filters(self) -> Filters:
        return Filters(
            subject_track=self.cleaned_data["subject_track"], stage=self.cleaned_data["stage"]
        )
