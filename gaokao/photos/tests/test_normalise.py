"""R3: every photo becomes the national standard's 480 × 640 JPEG (quality ≥ 60, 20–40 KB,
no metadata), and anything that cannot safely become one is refused with a reason."""

import struct
import warnings
from io import BytesIO

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile, features

from gaokao.photos import services
from gaokao.photos.services import PhotoRefused, normalise
from gaokao.photos.tests import images


def opened(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def markers(jpeg: bytes) -> list[int]:
    """The JPEG markers before the scan (SOI excluded)."""
    assert jpeg[:2] == b"\xff\xd8"
    found, i = [], 2
    while i < len(jpeg):
        assert jpeg[i] == 0xFF
        marker = jpeg[i + 1]
        found.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return found
        (length,) = struct.unpack(">H", jpeg[i + 2 : i + 4])
        i += 2 + length
    raise AssertionError("no scan")


def quality_of(jpeg: bytes) -> int:
    """The libjpeg quality whose quantisation tables the file uses."""
    tables = opened(jpeg).quantization
    for quality in range(1, 101):
        reference = images.encode(Image.new("RGB", (16, 16)), quality=quality)
        if opened(reference).quantization == tables:
            return quality
    raise AssertionError("not a libjpeg quality")


def close(colour, expected, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def refused(data: bytes) -> str:
    with pytest.raises(PhotoRefused) as caught:
        normalise(data)
    assert caught.value.messages[0].strip()  # a message staff can read
    return caught.value.code


# The result ---------------------------------------------------------------------------


def test_r3_result_is_a_480_by_640_baseline_jpeg(photo_jpeg):
    result = normalise(photo_jpeg)
    image = opened(result.data)
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (480, 640))
    found = markers(result.data)
    assert 0xC0 in found  # SOF0: baseline
    assert not {0xC1, 0xC2, 0xC3, 0xC9, 0xCA, 0xCB} & set(found)  # not extended/progressive
    assert image.info.get("dpi") == (300, 300)
    assert (result.original_type, result.original_width, result.original_height) == (
        "image/jpeg",
        1200,
        1600,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("fmt", "size"), [("JPEG", (1200, 1600)), ("PNG", (900, 1200))])
def test_r3_typical_photo_lands_within_20_to_40_kb_at_quality_60_to_95(seed, fmt, size):
    data = images.encode(images.portrait(*size, seed=seed), fmt)
    result = normalise(data)
    assert services.TARGET_MIN_BYTES <= len(result.data) <= services.TARGET_MAX_BYTES
    assert 20 * 1024 <= len(result.data) <= 40 * 1000  # 20 KiB .. 40 kB: both readings of "KB"
    assert 60 <= result.quality <= 95
    assert quality_of(result.data) == result.quality


def test_r3_quality_is_the_highest_that_fits_40_kb():
    image = images.portrait(480, 640, seed=4)
    quality, data = services.encode_within_target(image)
    assert 60 < quality < 95
    assert len(data) <= 40_000 < len(services.encode_jpeg(image, quality + 1))


def test_r3_a_plain_picture_keeps_quality_95_even_below_20_kb():
    quality, data = services.encode_within_target(Image.new("RGB", (480, 640), (255, 255, 255)))
    assert quality == 95
    assert len(data) < 20 * 1024  # nothing to fill 20 KB with; never padded


def test_r3_quality_never_drops_below_60_even_if_the_file_stays_over_40_kb():
    noise = Image.effect_noise((480, 640), 120).convert("RGB")  # nothing compresses this
    quality, data = services.encode_within_target(noise)
    assert quality == 60
    assert len(data) > 40_000
    assert quality_of(data) == 60


def test_r3_all_metadata_is_stripped_including_gps_and_comments():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretPhone"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.DateTime] = "2025:03:01 10:00:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (28.0, 12.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (112.0, 58.0, 1.0)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = images.encode(
        images.portrait(1600, 1200),
        exif=exif,
        comment="secret comment",
        xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>secret xmp</x:xmpmeta>",
        icc_profile=srgb,
    )
    original = opened(data)
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the input really has GPS
    assert {"exif", "xmp", "comment", "icc_profile"} <= original.info.keys()

    result = normalise(data)
    image = opened(result.data)
    assert not image.getexif()
    assert not {"exif", "xmp", "comment", "icc_profile"} & image.info.keys()
    for secret in (b"Exif", b"SecretPhone", b"secret", b"xmpmeta", b"2025:03:01"):
        assert secret not in result.data
    assert {m for m in markers(result.data) if 0xE0 <= m <= 0xEF or m == 0xFE} == {0xE0}  # JFIF


# EXIF orientation: the stored pixels are the upright test card turned the way a camera
# would store them, with the tag that says how to turn them back.
STORED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # shown after turning 90° clockwise
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_r3_exif_orientation_is_applied_so_the_photo_comes_out_upright(orientation):
    upright = images.asymmetric(600, 800)  # 3:4, so nothing is cropped
    turn = STORED[orientation]
    stored = upright.transpose(turn) if turn is not None else upright
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    result = normalise(images.encode(stored, quality=95, exif=exif))
    image = opened(result.data)
    assert close(image.getpixel((40, 40)), images.RED)  # top left
    assert close(image.getpixel((240, 600)), images.BLUE)  # bottom
    assert close(image.getpixel((460, 100)), images.GREEN)  # top right edge
    assert close(image.getpixel((240, 320)), (255, 255, 255))
    assert close(image.getpixel((460, 400)), (255, 255, 255))  # green stops half-way down
    assert (result.original_width, result.original_height) == (600, 800)


def test_r3_wide_picture_is_cropped_around_the_centre():
    image = Image.new("RGB", (1600, 1200), images.BLUE)  # 3:4 of 1200 high is 900 wide
    image.paste(images.RED, (0, 0, 350, 1200))
    image.paste(images.GREEN, (1250, 0, 1600, 1200))
    result = opened(normalise(images.encode(image, "PNG")).data)
    for x in (3, 240, 476):
        for y in (3, 320, 636):
            assert close(result.getpixel((x, y)), images.BLUE), (x, y)


def test_r3_tall_picture_is_cropped_around_the_centre():
    image = Image.new("RGB", (900, 1600), images.BLUE)  # 4:3 of 900 wide is 1200 high
    image.paste(images.RED, (0, 0, 900, 200))
    image.paste(images.GREEN, (0, 1400, 900, 1600))
    result = opened(normalise(images.encode(image, "PNG")).data)
    for y in (3, 320, 636):
        assert close(result.getpixel((240, y)), images.BLUE), y


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_r3_transparency_is_flattened_onto_white(mode):
    image = Image.new("RGBA", (600, 800), (0, 0, 0, 0))  # transparent black
    image.paste((200, 20, 20, 255), (200, 300, 400, 500))
    if mode == "LA":
        image = image.convert("LA")
    elif mode == "P":  # a palette whose entry 0 is transparent
        image = Image.new("P", (600, 800), 0)
        image.putpalette([0, 0, 0, 200, 20, 20])
        image.paste(1, (200, 300, 400, 500))
        image.info["transparency"] = 0
    result = opened(normalise(images.encode(image, "PNG")).data)
    assert close(result.getpixel((5, 5)), (255, 255, 255), 8)
    assert close(result.getpixel((240, 320)), image.convert("RGB").getpixel((300, 400)), 30)


def test_r3_sixteen_bit_grey_png_keeps_its_tones():
    image = Image.new("I;16", (600, 800), 32768)  # mid grey
    result = opened(normalise(images.encode(image, "PNG")).data)
    assert close(result.getpixel((240, 320)), (128, 128, 128), 6)


@pytest.mark.skipif(not features.check("webp"), reason="Pillow without WebP")
def test_r3_webp_is_accepted():
    result = normalise(images.encode(images.portrait(900, 1200), "WEBP", quality=90))
    assert opened(result.data).size == (480, 640)
    assert result.original_type == "image/webp"


def test_r3_a_phones_mpo_jpeg_is_a_photo_not_an_animation():
    buffer = BytesIO()
    first, second = images.asymmetric(), Image.new("RGB", (600, 800), (0, 0, 0))
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    result = normalise(buffer.getvalue())
    assert close(opened(result.data).getpixel((40, 40)), images.RED)  # the first picture
    assert result.original_type == "image/jpeg"


def test_r3_exactly_the_minimum_size_is_accepted():
    assert opened(normalise(images.encode(images.asymmetric(240, 320))).data).size == (480, 640)


def test_r3_minimum_size_counts_the_upright_picture():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    stored = images.asymmetric(240, 320).transpose(Image.Transpose.ROTATE_90)  # 320 × 240
    assert normalise(images.encode(stored, exif=exif)).original_width == 240
    assert refused(images.encode(stored)) == "too_small"  # without the tag: 320 × 240


# Refusals -------------------------------------------------------------------------------


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (600, 800), colour) for colour in ("red", "blue", "green")]
    buffer = BytesIO()
    frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


def test_r3_refuses_an_empty_file():
    assert refused(b"") == "empty"


def test_r3_refuses_random_bytes():
    assert refused(bytes(range(256)) * 40) == "not_image"


def test_r3_refuses_a_text_file_named_jpg():
    assert refused("考生照片\nthis is not a photo\n".encode() * 20) == "not_image"


def test_r3_refuses_a_truncated_jpeg(photo_jpeg):
    assert refused(photo_jpeg[: len(photo_jpeg) // 2]) == "broken"


def test_r3_refuses_a_truncated_png():
    data = images.encode(images.portrait(600, 800), "PNG")
    assert refused(data[: len(data) // 2]) == "broken"


def test_r3_refuses_a_jpeg_header_followed_by_garbage():
    assert refused(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8) == "broken"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(images.encode(Image.new("RGB", (600, 800)), "GIF"), id="gif"),
        pytest.param(images.encode(Image.new("RGB", (600, 800)), "BMP"), id="bmp"),
        pytest.param(images.encode(Image.new("RGB", (600, 800)), "TIFF"), id="tiff"),
        pytest.param(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), id="heic"),
    ],
)
def test_r3_refuses_other_image_formats_and_says_to_use_jpeg(data):
    with pytest.raises(PhotoRefused) as caught:
        normalise(data)
    assert caught.value.code == "unsupported_format"
    assert "JPEG" in caught.value.messages[0]


@pytest.mark.parametrize("size", [(100, 100), (239, 320), (240, 319), (320, 240)])
def test_r3_refuses_a_tiny_image(size):
    with pytest.raises(PhotoRefused) as caught:
        normalise(images.encode(Image.new("RGB", size, (200, 200, 200))))
    assert caught.value.code == "too_small"
    assert f"{size[0]} × {size[1]}" in caught.value.messages[0]


def test_r3_refuses_a_file_over_10_mb():
    assert refused(b"\xff\xd8\xff" + bytes(services.MAX_UPLOAD_BYTES)) == "too_large"


def test_r3_refuses_an_animated_png():
    assert refused(animated("PNG")) == "animated"


@pytest.mark.skipif(not features.check("webp"), reason="Pillow without WebP")
def test_r3_refuses_an_animated_webp():
    assert refused(animated("WEBP")) == "animated"


def test_r3_refuses_an_animated_gif_as_a_gif():
    assert refused(animated("GIF")) == "unsupported_format"


# Decompression bombs: refused from the header, never decoded.


@pytest.fixture
def never_decoded(monkeypatch):
    def load(self):
        raise AssertionError(f"decoded a {self.size} image")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


def webp_declaring(width: int, height: int) -> bytes:
    vp8x = (
        bytes([0, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    )
    chunk = b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def test_r3_refuses_a_png_decompression_bomb_without_decoding_it(png_bomb, never_decoded):
    assert len(png_bomb) < 200_000  # 900 megapixels in a small file
    assert refused(png_bomb) == "too_many_pixels"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(images.png_declaring(8000, 6000), id="48MP-png-our-limit"),
        pytest.param(images.png_declaring(10000, 10000), id="100MP-png-pillow-warning"),
        pytest.param(images.jpeg_declaring(65000, 65000), id="4GP-jpeg-pillow-error"),
        pytest.param(images.jpeg_declaring(8000, 6000), id="48MP-jpeg"),
        pytest.param(webp_declaring(16000, 16000), id="256MP-webp-header"),
    ],
)
def test_r3_refuses_too_many_pixels_from_the_header(data, never_decoded):
    assert refused(data) == "too_many_pixels"


def test_r3_the_decompression_bomb_warning_filter_does_not_leak():
    before = list(warnings.filters)
    with pytest.raises(PhotoRefused):
        normalise(images.png_declaring(10000, 10000))
    assert warnings.filters == before


def test_r3_refusals_are_validation_errors():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        normalise(b"nonsense")


def png_chunks(data: bytes) -> list[bytes]:
    chunks, i = [], 8
    while i < len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        chunks.append(data[i : i + 12 + length])
        i += 12 + length
    return chunks


def test_r3_orientation_stored_after_a_pngs_pixels_is_applied_and_measured():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 8
    upright = images.asymmetric(600, 800)
    stored = upright.transpose(STORED[8])
    chunks = png_chunks(images.encode(stored, "PNG", exif=exif))
    exif_chunk = next(c for c in chunks if c[4:8] == b"eXIf")
    chunks.remove(exif_chunk)
    chunks.insert(-1, exif_chunk)  # after the pixel data, before IEND: allowed, and found late
    data = b"\x89PNG\r\n\x1a\n" + b"".join(chunks)
    assert data.index(b"eXIf") > data.index(b"IDAT")
    result = normalise(data)
    assert (result.original_width, result.original_height) == (600, 800)
    assert close(opened(result.data).getpixel((40, 40)), images.RED)
