"""The notice board (公告栏): posting, withdrawing, reading.

`post_notice` needs no request, so a management command can publish (the point client's
download is posted here, R4). Every post and withdrawal is an audit event in the same
transaction.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.lib.text import clean_text
from gaokao.notices.models import OFFICE_ROLES, Attachment, Notice, NoticeRead
from gaokao.regions.models import Region

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 5
DEFAULT_MAX_ATTACHMENT_MB = 20
MAX_FILENAME_LENGTH = 200

# The types an office may attach, by extension, with the content type the download is sent
# with. The browser's claimed type is ignored: the extension decides. The last five are the
# point client's packages.
ALLOWED_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".txt": "text/plain",
    ".zip": "application/zip",
    ".exe": "application/vnd.microsoft.portable-executable",
    ".msi": "application/x-msi",
    ".whl": "application/zip",
    ".tar.gz": "application/gzip",
}
ALLOWED_LABEL = "PDF, DOC, DOCX, XLS, XLSX, JPG, PNG, TXT, ZIP, EXE, MSI, WHL, TAR.GZ"


def max_attachment_mb() -> float:
    return getattr(settings, "GAOKAO_NOTICE_MAX_ATTACHMENT_MB", DEFAULT_MAX_ATTACHMENT_MB)


def max_attachment_bytes() -> int:
    return int(max_attachment_mb() * 1024 * 1024)


def clean_filename(name: str) -> str:
    """The name shown and offered on download: no directories, no control or invisible
    characters (a right-to-left override can disguise `gpj.exe` as `exe.jpg`), no characters
    Windows refuses, no leading or trailing dots and spaces, at most 200 characters."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(_visible(c) for c in name)
    name = re.sub(r'[<>:"|?*]', "_", name).strip(" .")
    if len(name) > MAX_FILENAME_LENGTH:
        ext = extension_of(name) or ""
        name = name[: MAX_FILENAME_LENGTH - len(ext)].rstrip(" .") + ext
    return name


def _visible(c: str) -> str:
    category = unicodedata.category(c)
    if category.startswith("C"):  # control, format (bidi overrides), unassigned
        return ""
    return " " if category.startswith("Z") else c  # any space or line break becomes a space


def extension_of(filename: str) -> str | None:
    """The allowed extension `filename` ends with (lower case), or None."""
    lower = filename.lower()
    for ext in sorted(ALLOWED_TYPES, key=len, reverse=True):  # ".tar.gz" before ".gz"
        if lower.endswith(ext) and len(lower) > len(ext):
            return ext
    return None


@dataclass
class Upload:
    """One attachment checked and ready to store."""

    filename: str
    extension: str
    file: File

    @property
    def size(self) -> int:
        return self.file.size


def check_attachment(filename: str, content: bytes | BinaryIO | File) -> Upload:
    """Check one attachment's name, type and size; raise ValidationError with a message the
    office user can act on."""
    name = clean_filename(filename)
    if not name:
        raise ValidationError(_("An attachment has no usable file name."), code="filename")
    ext = extension_of(name)
    if ext is None:
        raise ValidationError(
            _("“%(name)s”: files of this type cannot be attached. Allowed types: %(allowed)s."),
            code="file_type",
            params={"name": name, "allowed": ALLOWED_LABEL},
        )
    if isinstance(content, bytes | bytearray):
        file: File = ContentFile(bytes(content))
    elif isinstance(content, File):
        file = content
    else:
        file = File(content)
    limit = max_attachment_bytes()
    if file.size > limit:
        raise ValidationError(
            _("“%(name)s” is larger than %(limit)s MB."),
            code="file_size",
            params={"name": name, "limit": f"{max_attachment_mb():g}"},
        )
    if file.size == 0:
        raise ValidationError(_("“%(name)s” is empty."), code="empty", params={"name": name})
    return Upload(filename=name, extension=ext, file=file)


def check_attachments(attachments: Iterable[tuple[str, Any]]) -> list[Upload]:
    attachments = list(attachments)
    if len(attachments) > MAX_ATTACHMENTS:
        raise ValidationError(
            _("At most %(max)s attachments per notice."),
            code="too_many",
            params={"max": MAX_ATTACHMENTS},
        )
    uploads, errors = [], []
    for filename, content in attachments:
        try:
            uploads.append(check_attachment(filename, content))
        except ValidationError as e:
            errors.append(e)
    if errors:
        raise ValidationError(errors)
    return uploads


def can_post(user: Any) -> bool:
    """Province, city and county staff post; points only read."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "role", None) in OFFICE_ROLES
    )


def can_withdraw(user: Any, notice: Notice) -> bool:
    """Staff of the unit that posted a notice may withdraw it."""
    return can_post(user) and user.region_id == notice.region_id and not notice.is_withdrawn


@transaction.atomic
def post_notice(
    *,
    author_unit: Region,
    title: str,
    body: str,
    attachments: Iterable[tuple[str, Any]] = (),
    by: Any = None,
    pinned: bool = False,
    request: HttpRequest | None = None,
) -> Notice:
    """Post a notice from `author_unit` (a province, city or county) to the levels below.

    `attachments` are (filename, bytes or file) pairs. `by` is the staff user posting, who
    must work for `author_unit`; None for a post by the system (a management command).
    Raises ValidationError for a bad attachment and PermissionDenied for a user who may
    not post for the unit; nothing is stored then.
    """
    if not isinstance(author_unit, Region):
        raise PermissionDenied("Only a province, city or county posts notices.")
    if by is not None and not (can_post(by) and by.region_id == author_unit.pk):
        raise PermissionDenied("This user may not post notices for this unit.")
    title, body = clean_text(title), clean_text(body, multiline=True)  # no bidi tricks
    if not title or len(title) > Notice._meta.get_field("title").max_length:
        raise ValidationError(_("A notice needs a title of at most 200 characters."), code="title")
    uploads = check_attachments(attachments)

    notice = Notice.objects.create(
        region=author_unit, author=by, title=title, body=body, pinned=pinned
    )
    stored: list[Attachment] = []
    try:
        for upload in uploads:
            stored.append(_store(notice, upload))
        if by is not None:
            NoticeRead.objects.create(notice=notice, user=by)  # the author has read it
        record(
            Action.NOTICE_POSTED,
            actor=by,
            request=request,
            unit=author_unit,
            target=notice,
            label="" if by is not None else "system",
            notice=notice.pk,
            pinned=pinned,
            attachments=[
                {"filename": a.filename, "size": a.size, "sha256": a.sha256} for a in stored
            ],
        )
    except BaseException:
        # The rows roll back with the transaction; the files written so far must go too.
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise
    return notice


def _store(notice: Notice, upload: Upload) -> Attachment:
    digest, size = hashlib.sha256(), 0
    for chunk in upload.file.chunks():
        digest.update(chunk)
        size += len(chunk)
    attachment = Attachment(
        notice=notice,
        filename=upload.filename,
        size=size,
        content_type=ALLOWED_TYPES[upload.extension],
        sha256=digest.hexdigest(),
    )
    # Stored under a random name: the original is only ever shown, never used as a path.
    attachment.file.save(secrets.token_hex(16) + upload.extension, upload.file, save=False)
    try:
        attachment.save()
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


def withdraw_notice(notice: Notice, *, by: Any, request: HttpRequest | None = None) -> bool:
    """Withdraw `notice`: readers no longer see it, the database keeps it. Only staff of the
    posting unit may. Returns False if it was already withdrawn (nothing changes then)."""
    if not (can_post(by) and by.region_id == notice.region_id):
        raise PermissionDenied("Only the posting unit may withdraw a notice.")
    now = timezone.now()
    with transaction.atomic():
        # Conditional update: of two people withdrawing at once, one changes the row and
        # records the event, the other changes nothing.
        changed = Notice.objects.filter(pk=notice.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_by=by
        )
        if not changed:
            return False
        record(
            Action.NOTICE_WITHDRAWN,
            actor=by,
            request=request,
            unit=notice.region,
            target=notice,
            notice=notice.pk,
        )
    notice.withdrawn_at, notice.withdrawn_by = now, by
    return True


def mark_read(notice: Notice, user: Any) -> None:
    # get_or_create copes with the same user opening the notice twice at once (the unique
    # constraint makes the second insert fail, and it then reads the first).
    NoticeRead.objects.get_or_create(notice=notice, user=user)


def unread_count(user: Any) -> int:
    """How many notices `user` reads and has not opened yet (for the navigation's badge)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notice.objects.for_reader(user).unread_by(user).count()
