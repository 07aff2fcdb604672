from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gaokao.photos import services
from gaokao.photos.models import PhotoSource


class PhotoForm(forms.Form):
    """One photo for a candidate: a file from the webcam, a camera or the network."""

    # A plain FileField: `services.normalise` decides what is an acceptable image (Django's
    # ImageField would open it with its own, looser rules first).
    file = forms.FileField(
        label=_("Photo file"),
        help_text=_(
            "JPEG, PNG or WebP, at most %(size)s MB and at least %(width)s × %(height)s "
            "pixels. It is cropped to 3:4 around the centre and saved as a 480 × 640 JPEG; "
            "the file as received is kept too."
        ),
        required=False,  # checked in clean(), which knows why a file may be missing
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=PhotoSource.choices, initial=PhotoSource.UPLOAD
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("Required for a photo sent over the network: who sent it and how."),
    )

    def __init__(self, *args, file_too_large: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # The view's upload handler dropped a file over the limit before it was read whole.
        self.file_too_large = file_too_large
        file = self.fields["file"]
        file.help_text = file.help_text % {
            "size": services.MAX_UPLOAD_BYTES // (1024 * 1024),
            "width": services.MIN_WIDTH,
            "height": services.MIN_HEIGHT,
        }
        file.widget.attrs["required"] = True
        file.widget.attrs["accept"] = "image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp"
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name == "source" else "form-control"

    def clean(self):
        data = super().clean()
        if self.file_too_large:
            self.add_error("file", services.too_large_error())
        elif not data.get("file") and "file" not in self.errors:
            self.add_error("file", ValidationError(_("Choose a photo file."), code="required"))
        if "source" in data:
            try:
                data["note"] = services.check_note(data["source"], data.get("note", ""))
            except ValidationError as e:
                self.add_error("note", e)
        return data
