"""相片 — candidate photos: check what arrives, normalise it to the national standard, keep both.

The standard (《普通高等学校招生图像采集规范及信息标准》): 480 × 640 px, JPEG, quality ≥ 60,
typically 20–40 KB. `normalise` is pure (bytes in, bytes out) and refuses anything it cannot
turn into such a photo safely, with a message staff can act on and a stable `code`.
`add_photo` stores the original as received beside the normalised JPEG, makes the new photo
the candidate's current one, and records an audit event either way.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
import warnings
from dataclasses import dataclass
from io import BytesIO
from typing import Any, BinaryIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from gaokao.audit.models import Action
from gaokao.audit.services import record
from gaokao.candidates import changes
from gaokao.candidates.models import Candidate, Stage
from gaokao.lib.text import clean_text
from gaokao.photos.models import CandidatePhoto, PhotoSource

# The limits. A phone's full-size JPEG is 2–8 MB and 12–50 megapixels; WeChat sends about
# 0.1–2 MB. 10 MB takes any camera file a point meets; 40 megapixels (about 160 MB decoded)
# is the most we are willing to decode for a 0.3-megapixel result.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
# Half the standard's size on each side: enlarging more than twice gives a photo too soft
# for the comparison against public-security (公安) photos. A 640 × 480 webcam still passes.
MIN_WIDTH, MIN_HEIGHT = 240, 320
WIDTH, HEIGHT = 480, 640
MIN_QUALITY, MAX_QUALITY = 60, 95
# "20–40 KB": 20 KiB and 40,000 bytes, so the result fits whichever a receiving system means.
TARGET_MIN_BYTES = 20 * 1024
TARGET_MAX_BYTES = 40_000
ACCEPTED = "JPEG, PNG, WebP"

# Orientation tag → what turns the stored pixels upright (EXIF 2.3, tag 0x0112).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_AXES = {5, 6, 7, 8}

_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}

# Formats people send that we decline, by their first bytes, to say what to do instead.
_OTHER_IMAGES = [
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
]
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


class PhotoRefused(ValidationError):
    """The file cannot become a candidate photo. `code` says why, for the audit trail."""

    def __init__(self, message: Any, code: str, params: dict | None = None):
        super().__init__(message, code=code, params=params)


@dataclass(frozen=True)
class NormalisedPhoto:
    """The standard photo made from one file, and what we learnt about the file."""

    data: bytes  # the 480 × 640 baseline JPEG, without any metadata
    quality: int
    original_type: str  # the original's content type: image/jpeg, image/png, image/webp
    original_width: int  # upright, after the EXIF orientation
    original_height: int

    @property
    def original_extension(self) -> str:
        return extension_for(self.original_type)


def extension_for(content_type: str) -> str:
    """The file extension for an accepted content type (".jpg" for image/jpeg)."""
    return _EXTENSIONS.get(content_type, "")


def normalise(data: bytes) -> NormalisedPhoto:
    """Turn one image file into the standard photo, or raise PhotoRefused.

    Checks everything it can from the header before decoding a pixel: the format, the pixel
    count (against decompression bombs), the size. Then it applies the EXIF orientation,
    converts to sRGB without transparency (flattened onto white), crops the centre to 3:4,
    resizes to 480 × 640 and encodes a baseline JPEG at the highest quality between 60 and
    95 that stays within 40 KB. Nothing of the original's metadata (EXIF, GPS, XMP, ICC,
    comments) reaches the result.
    """
    if not data:
        raise PhotoRefused(_("The file is empty."), "empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_large_error()
    kind = _sniff(data)
    if kind == "WEBP":
        # Pillow's WebP decoder allocates its canvas when the file is opened: check first.
        _check_pixels(_webp_size(data))
    # A DecompressionBombWarning becomes an error. (catch_warnings is process-wide; at worst
    # a concurrent request leaves this filter in place, which is what we want anyway.)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data), formats=[kind])  # an MPO opens as JPEG
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise _too_many_pixels() from e
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error) as e:
            raise _broken() from e
        with image:
            return _normalise_image(image, kind)


def _normalise_image(image: Image.Image, kind: str) -> NormalisedPhoto:
    _check_pixels(image.size)
    # An MPO is a phone's JPEG with a second picture (a depth map, a preview) appended; its
    # first frame is the photo. Any other second frame is an animation.
    if image.format != "MPO" and getattr(image, "n_frames", 1) > 1:
        raise PhotoRefused(
            _("Animated images cannot be used. Send a single still photo."), "animated"
        )
    orientation = _orientation(image)
    width, height = image.size
    if orientation in _SWAPS_AXES:
        width, height = height, width
    _check_minimum(width, height)
    if kind == "JPEG":
        # Let the JPEG decoder scale down by 1/2, 1/4 or 1/8 while it decodes, keeping at
        # least the output's size: a phone photo then decodes faster, in a fraction of memory.
        image.draft("RGB", (HEIGHT, WIDTH) if orientation in _SWAPS_AXES else (WIDTH, HEIGHT))
    try:
        image.load()
        orientation = _orientation(image)  # a PNG's eXIf chunk may follow the pixel data
        upright = image.transpose(_TRANSPOSE[orientation]) if orientation in _TRANSPOSE else image
        rgb = _to_srgb(upright, image.info.get("icc_profile"))
        left, top, right, bottom = _centre_crop(*rgb.size)
        resized = rgb.resize(
            (WIDTH, HEIGHT),
            Image.Resampling.LANCZOS,
            box=(left, top, right, bottom),
            reducing_gap=3.0,
        )
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise _too_many_pixels() from e
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as e:
        raise _broken() from e
    if kind != "JPEG":  # the orientation may only have shown up now: measure again
        width, height = upright.size
        _check_minimum(width, height)
    # A fresh image carries no `info`: Pillow would otherwise copy the original's JPEG
    # comment into the result.
    clean = Image.new("RGB", (WIDTH, HEIGHT))
    clean.paste(resized)
    quality, jpeg = encode_within_target(clean)
    return NormalisedPhoto(
        data=jpeg,
        quality=quality,
        original_type=_CONTENT_TYPES[kind],
        original_width=width,
        original_height=height,
    )


def _sniff(data: bytes) -> str:
    """The accepted format the file's first bytes announce, or PhotoRefused."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    other = next((name for magic, name in _OTHER_IMAGES if data.startswith(magic)), None)
    if other is None and data[4:8] == b"ftyp":
        brand = data[8:12]
        other = "HEIC" if brand in _HEIF_BRANDS else "AVIF" if brand[:3] == b"avi" else None
    if other is not None:
        raise PhotoRefused(
            _(
                "This is a %(format)s image. Only %(accepted)s photos are accepted: save or "
                "export it as JPEG and try again."
            ),
            "unsupported_format",
            {"format": other, "accepted": ACCEPTED},
        )
    raise PhotoRefused(
        _("This file is not an image. Choose a photo in %(accepted)s format."),
        "not_image",
        {"accepted": ACCEPTED},
    )


def _webp_size(data: bytes) -> tuple[int, int]:
    """The canvas size a WebP file's header declares (RIFF container, VP8/VP8L/VP8X)."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return (
            int.from_bytes(data[24:27], "little") + 1,
            int.from_bytes(data[27:30], "little") + 1,
        )
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        return (
            int.from_bytes(data[26:28], "little") & 0x3FFF,
            int.from_bytes(data[28:30], "little") & 0x3FFF,
        )
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise _broken()


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # broken EXIF: the pixels may still be fine, so assume upright
        return 1
    return value if isinstance(value, int) and value in range(1, 9) else 1


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise _too_many_pixels()
    if width <= 0 or height <= 0:
        raise _broken()


def _check_minimum(width: int, height: int) -> None:
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise PhotoRefused(
            _(
                "The photo is too small (%(width)s × %(height)s pixels). It must be at least "
                "%(min_width)s × %(min_height)s pixels; take it again with the camera closer "
                "or at a higher resolution."
            ),
            "too_small",
            {
                "width": width,
                "height": height,
                "min_width": MIN_WIDTH,
                "min_height": MIN_HEIGHT,
            },
        )


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """RGB without transparency (flattened onto white), in sRGB if the file says otherwise."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):  # 16-bit grey PNG
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    has_alpha = image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or (
        image.mode in ("P", "L", "RGB", "1") and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, rgba).convert("RGB")
    else:
        rgb = image.convert("RGB")
    if icc_profile and image.mode in ("RGB", "RGBA", "P", "PA"):
        # A phone's Display P3 or a camera's Adobe RGB would look dull once the profile is
        # stripped: convert the pixels to sRGB instead. A broken profile is ignored.
        try:
            profile = ImageCms.ImageCmsProfile(BytesIO(icc_profile))
            if profile.profile.xcolor_space.strip() == "RGB":
                converted = ImageCms.profileToProfile(
                    rgb, profile, ImageCms.createProfile("sRGB"), outputMode="RGB"
                )
                rgb = converted or rgb
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass
    return rgb


def _centre_crop(width: int, height: int) -> tuple[float, float, float, float]:
    """The largest central 3:4 box of a width × height image."""
    if width * HEIGHT > height * WIDTH:  # wider than 3:4: trim the sides
        crop = height * WIDTH / HEIGHT
        return (width - crop) / 2, 0.0, (width + crop) / 2, float(height)
    crop = width * HEIGHT / WIDTH  # taller: trim top and bottom
    return 0.0, (height - crop) / 2, float(width), (height + crop) / 2


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    """A baseline JPEG (optimised Huffman tables are still baseline), 4:2:0, 300 dpi, and
    nothing else: no EXIF, ICC, XMP or comment."""
    buffer = BytesIO()
    image.save(
        buffer,
        "JPEG",
        quality=quality,
        optimize=True,
        progressive=False,
        subsampling="4:2:0",
        dpi=(300, 300),
    )
    return buffer.getvalue()


def encode_within_target(image: Image.Image) -> tuple[int, bytes]:
    """The highest quality in [60, 95] whose JPEG is at most 40,000 bytes (the file's size
    grows with quality, so a binary search takes about six encodings); quality 60 if even
    that is larger. The highest such quality also lands above 20 KB whenever the picture
    holds enough detail; a plain picture is small even at 95."""
    cache: dict[int, bytes] = {}

    def encoded(quality: int) -> bytes:
        if quality not in cache:
            cache[quality] = encode_jpeg(image, quality)
        return cache[quality]

    if len(encoded(MAX_QUALITY)) <= TARGET_MAX_BYTES:
        return MAX_QUALITY, encoded(MAX_QUALITY)
    low, high, best = MIN_QUALITY, MAX_QUALITY - 1, MIN_QUALITY
    while low <= high:
        middle = (low + high) // 2
        if len(encoded(middle)) <= TARGET_MAX_BYTES:
            best, low = middle, middle + 1
        else:
            high = middle - 1
    return best, encoded(best)


def too_large_error() -> PhotoRefused:
    return PhotoRefused(
        _("The file is larger than %(limit)s MB. Send the photo in a smaller size."),
        "too_large",
        {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
    )


def _too_many_pixels() -> PhotoRefused:
    return PhotoRefused(
        _(
            "The image has more than %(limit)s megapixels, too many to process safely. "
            "Send it in a smaller size."
        ),
        "too_many_pixels",
        {"limit": MAX_PIXELS // 1_000_000},
    )


def _broken() -> PhotoRefused:
    return PhotoRefused(
        _("The image is damaged or incomplete and cannot be read. Take or send it again."),
        "broken",
    )


def read_upload(content: bytes | BinaryIO | Any) -> bytes:
    """The bytes of an upload (bytes, a Django File or any binary file object), refusing a
    file over the limit before reading it when its size is known, and never reading more
    than the limit and one byte otherwise."""
    if isinstance(content, bytes | bytearray | memoryview):
        data = bytes(content)
    else:
        size = getattr(content, "size", None)
        if isinstance(size, int) and size > MAX_UPLOAD_BYTES:
            raise too_large_error()
        if hasattr(content, "seek"):
            content.seek(0)
        data = content.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_large_error()
    return data


def check_note(source: str, note: str) -> str:
    """The note, stripped; E6: a photo sent over the network must say who sent it and how."""
    if source not in PhotoSource.values:
        raise ValidationError(_("Choose where the photo comes from."), code="source")
    note = clean_text(note)
    if source == PhotoSource.NETWORK and not note:
        raise ValidationError(
            _("For a photo sent over the network, note who sent it and how (phone, WeChat)."),
            code="note_required",
        )
    if len(note) > CandidatePhoto._meta.get_field("note").max_length:
        raise ValidationError(_("The note is too long."), code="note_too_long")
    return note


def add_photo(
    candidate: Candidate,
    content: bytes | BinaryIO | Any,
    *,
    source: str,
    note: str = "",
    by: Any,
    request: HttpRequest | None = None,
) -> CandidatePhoto:
    """Normalise `content` and make it `candidate`'s current photo, keeping the earlier ones.

    Raises ValidationError for a missing note or an unknown source (nothing is recorded),
    and PhotoRefused for a file that cannot become a photo (recorded as PHOTO_REJECTED with
    the reason's code). The candidate itself is not changed.
    """
    note = check_note(source, note)
    try:
        original = read_upload(content)
        result = normalise(original)  # slow work, before the transaction
    except PhotoRefused as e:
        record_refusal(
            candidate,
            e,
            source=source,
            by=by,
            request=request,
            filename=getattr(content, "name", ""),
        )
        raise

    photo = CandidatePhoto(
        candidate=candidate,
        source=source,
        note=note,
        original_type=result.original_type,
        original_width=result.original_width,
        original_height=result.original_height,
        original_bytes=len(original),
        original_sha256=hashlib.sha256(original).hexdigest(),
        normalised_bytes=len(result.data),
        normalised_sha256=hashlib.sha256(result.data).hexdigest(),
        quality=result.quality,
        taken_by=by,
    )
    # Random names: nothing the sender chose becomes part of a path.
    photo.original.save(
        secrets.token_hex(16) + result.original_extension, ContentFile(original), save=False
    )
    try:
        photo.normalised.save(secrets.token_hex(16) + ".jpg", ContentFile(result.data), save=False)
        with transaction.atomic():
            # The candidate's row lock makes two photos saved at once take turns, so the
            # second one finds the first current and retires it.
            held = Candidate.objects.select_for_update().only("pk", "stage").get(pk=candidate.pk)
            if held.stage != Stage.POINT:  # S9: submitted upward, locked for the point
                raise PhotoRefused(
                    _("The point has submitted this candidate: the photo can no longer change."),
                    "locked",
                )
            previous = list(
                CandidatePhoto.objects.filter(candidate=candidate, is_current=True).values_list(
                    "pk", flat=True
                )
            )
            CandidatePhoto.objects.filter(pk__in=previous).update(is_current=False)
            # Taken "now", under the lock: proofreading compares it with when a sheet was
            # printed or a confirmation given (a photo newer than those outdates them).
            photo.created_at = timezone.now()
            photo.save(force_insert=True)
            changes.photo_added(photo)  # the point client's outbox, if one listens
            record(
                Action.PHOTO_ADDED,
                actor=by,
                request=request,
                unit=candidate.point,
                target=candidate,
                candidate=str(candidate.pk),
                photo=str(photo.pk),
                replaces=[str(pk) for pk in previous],
                source=source,
                note=note,
                original_sha256=photo.original_sha256,
                original_bytes=photo.original_bytes,
                normalised_sha256=photo.normalised_sha256,
                normalised_bytes=photo.normalised_bytes,
                quality=photo.quality,
            )
    except BaseException:
        # The row rolled back; files written for it must not linger without one.
        for field in (photo.original, photo.normalised):
            if field.name:
                field.storage.delete(field.name)
        raise
    return photo


def record_refusal(
    candidate: Candidate,
    error: PhotoRefused,
    *,
    source: str,
    by: Any,
    request: HttpRequest | None = None,
    filename: str | None = "",
) -> None:
    """Record that a file for `candidate` was refused, and why (`error.code`)."""
    record(
        Action.PHOTO_REJECTED,
        actor=by,
        request=request,
        unit=candidate.point,
        target=candidate,
        candidate=str(candidate.pk),
        reason=error.code,
        source=source,
        filename=str(filename or "")[:200],
    )
