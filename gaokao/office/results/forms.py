from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.lib.spreadsheet import MAX_BYTES
from gaokao.web.forms import StyledForm


class UploadForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind of data"))
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or GBK) or XLSX, the first row naming the columns as described below."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.code, k.label) for k in kinds]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB."), params={"mb": MAX_BYTES // 2**20}
            )
        return upload


class ConfirmForm(StyledForm):
    """Names the file held after its check, and the hash the person saw in the report."""

    upload = forms.IntegerField(widget=forms.HiddenInput)
    sha256 = forms.RegexField(r"^[0-9a-f]{64}\Z", widget=forms.HiddenInput)
