from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gaokao.bundles.services import MAX_BYTES
from gaokao.web.forms import StyledForm

MAX_MB = MAX_BYTES // 2**20


class UploadForm(StyledForm):
    file = forms.FileField(label=gettext_lazy("Bundle file"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "The file the point client wrote with “export” (at most %(mb)d MB). It is checked"
            " first; nothing is imported until you confirm."
        ) % {"mb": MAX_MB}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB."), params={"mb": MAX_MB}
            )
        return upload


class ConfirmForm(StyledForm):
    """Names the file held after its check by the hash the person saw in the summary."""

    sha256 = forms.RegexField(r"^[0-9a-f]{64}\Z", widget=forms.HiddenInput)
