from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.codes.models import Code, Table
from gaokao.comments.models import COMMENT_LIMIT, TEMPLATE_TITLE_LIMIT
from gaokao.regions.models import RegistrationPoint
from gaokao.web.forms import StyledForm


class BatchFilterForm(StyledForm):
    """The batch screen's filters (GET). Counties choose one of their points."""

    point = forms.ModelChoiceField(
        label=_("Registration point"),
        queryset=RegistrationPoint.objects.none(),
        required=False,
        empty_label=_("All points"),
    )
    subject_track = forms.ChoiceField(label=_("Subject track"), required=False)
    missing = forms.BooleanField(label=_("Only candidates without a comment"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.role == "county":
            self.fields["point"].queryset = RegistrationPoint.objects.visible_to(user)
        else:
            del self.fields["point"]
        self.fields["subject_track"].choices = [
            ("", _("All subject tracks")),
            *Code.objects.choices(Table.SUBJECT_TRACK),
        ]
        self.fields["missing"].widget.attrs["class"] = "form-check-input"


class CommentRowForm(StyledForm):
    """One row of the batch screen. The text's initial value travels with the page (a hidden
    input), so a row counts as changed only if this user changed it; `version` is the
    version of the comment the row was based on (0: none)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    text = forms.CharField(
        label=_("Comment"),
        required=False,
        strip=False,  # the service cleans the text; a row counts as changed as typed
        show_hidden_initial=True,
        widget=forms.Textarea(attrs={"rows": 2, "data-role": "comment"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].widget.attrs["data-limit"] = COMMENT_LIMIT

    @property
    def text_changed(self) -> bool:
        return "text" in self.changed_data


class TemplateForm(StyledForm):
    """The service checks the lengths; the limits are shown here."""

    title = forms.CharField(label=_("Title"), strip=False)
    text = forms.CharField(label=_("Text"), strip=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].help_text = _(
            "Shown in the template picker; at most %(limit)d characters."
        ) % {"limit": TEMPLATE_TITLE_LIMIT}
        self.fields["text"].help_text = _("At most %(limit)d characters.") % {
            "limit": COMMENT_LIMIT
        }


class ImportForm(StyledForm):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK) or XLSX; the first row names the columns 报名号 and 评语."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
