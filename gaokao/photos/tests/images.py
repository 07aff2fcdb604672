"""Test images, all made here with Pillow (no photo is ever committed)."""

import random
import struct
import zlib
from io import BytesIO

from PIL import Image, ImageDraw, ImageFilter

RED, BLUE, GREEN = (220, 30, 30), (30, 30, 220), (30, 160, 30)


def portrait(width: int = 1200, height: int = 1600, *, seed: int = 1) -> Image.Image:
    """Something with the detail of a photo: a light-blue background with a soft gradient, a
    face-like oval and shoulders, some texture and fine noise, softened like a lens would."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    background = Image.new("RGB", (width, height), (100, 197, 255))
    image = Image.blend(background, image, 0.15)
    draw = ImageDraw.Draw(image)
    w, h = width, height
    draw.ellipse((w * 0.1, h * 0.7, w * 0.9, h * 1.3), fill=(40, 40, 60))  # shoulders
    draw.ellipse((w * 0.3, h * 0.15, w * 0.7, h * 0.65), fill=(225, 185, 160))  # face
    draw.pieslice((w * 0.28, h * 0.1, w * 0.72, h * 0.5), 180, 360, fill=(30, 25, 20))  # hair
    for x in (0.42, 0.58):  # eyes
        draw.ellipse((w * (x - 0.03), h * 0.36, w * (x + 0.03), h * 0.39), fill=(20, 20, 20))
    draw.arc((w * 0.42, h * 0.5, w * 0.58, h * 0.58), 20, 160, fill=(150, 60, 60), width=6)
    for _ in range(400):  # texture: hair strands, fabric
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        shade = rng.randint(0, 255)
        draw.line((x, y, x + rng.uniform(-40, 40), y + rng.uniform(-40, 40)), fill=(shade,) * 3)
    # Grain coarse enough to survive the reduction to 480 × 640, as a phone's does.
    grain = Image.effect_noise((width // 2, height // 2), 40).resize((width, height))
    image = Image.blend(image, grain.convert("RGB"), 0.1)
    return image.filter(ImageFilter.GaussianBlur(0.6))


def asymmetric(width: int = 600, height: int = 800) -> Image.Image:
    """Upright test card: red top-left corner, blue bottom band, green right edge."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 3, height // 4), fill=RED)
    draw.rectangle((0, height * 3 // 4, width, height), fill=BLUE)
    draw.rectangle((width * 5 // 6, 0, width, height // 2), fill=GREEN)
    return image


def encode(image: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    buffer = BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A real PNG bomb: a 1-bit grey image of width × height pixels, all zero, whose
    compressed pixel data stays small on disk (about 1/1000 of the decoded size for a 1-bit
    image, and the decoder would produce 8-bit pixels: width × height bytes)."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, packed bits
    compressor = zlib.compressobj(9)
    rows_per_block = max(1, (1 << 20) // len(row))
    block = row * rows_per_block
    parts, left = [], height
    while left > 0:
        n = min(left, rows_per_block)
        parts.append(compressor.compress(block if n == rows_per_block else row * n))
        left -= n
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"".join(parts))
        + png_chunk(b"IEND", b"")
    )


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares width × height with a token of pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) is rewritten to declare width × height."""
    data = bytearray(encode(Image.new("RGB", (16, 16), (200, 200, 200)), quality=80))
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)
