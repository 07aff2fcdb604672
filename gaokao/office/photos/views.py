"""A candidate's photos (R3, E4, E6): the current one, the earlier ones, upload and webcam.

Photos are served only through these views, which check the user's jurisdiction; the media
directory is never exposed.
"""

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from gaokao.accounts.models import Role
from gaokao.candidates.models import Candidate
from gaokao.office.photos.forms import PhotoForm
from gaokao.photos import services
from gaokao.photos.models import CandidatePhoto, PhotoSource
from gaokao.regions.jurisdiction import get_visible_or_404
from gaokao.web.access import roles_required

logger = logging.getLogger(__name__)

# The point takes the photos (R3); its county can do the same for it.
PHOTO_ROLES = (Role.COUNTY, Role.POINT)


class PhotoSizeLimit(FileUploadHandler):
    """Stops taking an uploaded file as soon as it passes the photo limit, so that an
    oversized upload is neither kept in memory nor written to disk whole."""

    def __init__(self, request=None):
        super().__init__(request)
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > services.MAX_UPLOAD_BYTES:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handlers build the file


@csrf_exempt  # only so that the size limit comes first; `_candidate_page` checks the token
@roles_required(*PHOTO_ROLES)
@require_http_methods(["GET", "POST"])
def candidate_photos(request, pk):
    # The upload handlers must be in place before anything reads the body, and the CSRF
    # check reads it: hence Django's documented csrf_exempt / csrf_protect pair.
    limit = PhotoSizeLimit(request)
    request.upload_handlers.insert(0, limit)
    return _candidate_page(request, pk, limit)


@csrf_protect
def _candidate_page(request, pk, limit: PhotoSizeLimit):
    candidate = get_visible_or_404(
        Candidate.objects.select_related("point", "point__county"), request.user, pk=pk
    )
    form = PhotoForm()
    if request.method == "POST":
        form = PhotoForm(request.POST, request.FILES, file_too_large=limit.too_large)
        if form.is_valid():
            try:
                services.add_photo(
                    candidate,
                    form.cleaned_data["file"],
                    source=form.cleaned_data["source"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                    request=request,
                )
            except services.PhotoRefused as e:
                form.add_error("file", e)
            except ValidationError as e:
                form.add_error(None, e)
            else:
                messages.success(request, _("The photo is saved and is now the current photo."))
                return redirect("photos:candidate", pk=candidate.pk)
        elif limit.too_large:
            services.record_refusal(
                candidate,
                services.too_large_error(),
                source=request.POST.get("source", ""),
                by=request.user,
                request=request,
            )
    photos = list(candidate.photos.select_related("taken_by"))
    context = {
        "candidate": candidate,
        "current": next((p for p in photos if p.is_current), None),
        "earlier": [p for p in photos if not p.is_current],
        "form": form,
        "camera_source": PhotoSource.CAMERA,
    }
    return render(request, "photos/candidate.html", context)


@roles_required(*PHOTO_ROLES)
@require_GET
def image(request, pk):
    """The standard 480 × 640 JPEG of one photo, shown in the page."""
    photo = get_visible_or_404(
        CandidatePhoto.objects.select_related("candidate"), request.user, pk=pk
    )
    return _send(photo.normalised, "image/jpeg", photo.download_name, as_attachment=False)


@roles_required(*PHOTO_ROLES)
@require_GET
def original(request, pk):
    """The file exactly as it was received, as a download."""
    photo = get_visible_or_404(
        CandidatePhoto.objects.select_related("candidate"), request.user, pk=pk
    )
    extension = services.extension_for(photo.original_type)
    name = f"{photo.candidate.registration_number or photo.candidate_id}-original{extension}"
    return _send(photo.original, photo.original_type, name, as_attachment=True)


def _send(field: FieldFile, content_type: str, filename: str, *, as_attachment: bool):
    try:
        handle = field.open("rb")
    except FileNotFoundError as e:
        logger.error("candidate photo file %s is missing", field.name)
        raise Http404 from e
    return FileResponse(
        handle, content_type=content_type, filename=filename, as_attachment=as_attachment
    )
