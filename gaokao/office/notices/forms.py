from django import forms
from django.utils.translation import gettext_lazy as _

from gaokao.notices import services
from gaokao.notices.models import Notice


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented pattern); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class NoticeForm(forms.ModelForm):
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_(
            "Up to %(max)s files of at most %(size)s MB each: PDF, Word, Excel, ZIP, JPG, PNG, "
            "text, or a point client package (EXE, MSI, WHL, TAR.GZ)."
        ),
    )

    class Meta:
        model = Notice
        fields = ["title", "body", "pinned"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = self.fields["attachments"].help_text % {
            "max": services.MAX_ATTACHMENTS,
            "size": f"{services.max_attachment_mb():g}",
        }
        self.fields["attachments"].widget.attrs["accept"] = ",".join(services.ALLOWED_TYPES)
        for name, field in self.fields.items():
            css = "form-check-input" if name == "pinned" else "form-control"
            field.widget.attrs["class"] = css

    def clean_attachments(self):
        files = self.cleaned_data["attachments"]
        services.check_attachments((f.name, f) for f in files)  # post_notice checks again
        return files
