"""Checking a point client's Ed25519 public key (RFC 8032) before it is trusted.

The cryptography library loads any 32 bytes as a public key; a key that is not a point of
the curve, or a point of small order, would make every signature check meaningless (a
small-order key verifies forged signatures for some messages). So the encoding is decoded
here by the RFC's rules and the point's order is checked, once, at enrolment.
"""

import base64
import binascii

P = 2**255 - 19
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


class InvalidKey(ValueError):
    pass


def _decode_point(raw: bytes) -> tuple[int, int]:
    """The affine (x, y) the 32-byte encoding names (RFC 8032 §5.1.3), or InvalidKey."""
    if len(raw) != 32:
        raise InvalidKey("length")
    number = int.from_bytes(raw, "little")
    sign, y = number >> 255, number & ((1 << 255) - 1)
    if y >= P:
        raise InvalidKey("non-canonical")
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if (v * x * x - u) % P != 0:
        x = x * SQRT_M1 % P
        if (v * x * x - u) % P != 0:
            raise InvalidKey("not on the curve")
    if x == 0 and sign:
        raise InvalidKey("negative zero")
    if x & 1 != sign:
        x = P - x
    return x, y


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, P - 2, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P
    return x3, y3


def check_public_key(raw: bytes) -> None:
    """Raise InvalidKey unless `raw` encodes a curve point of large order."""
    point = _decode_point(raw)
    for _ in range(3):  # × 8, the cofactor: small-order points end at the identity
        point = _add(point, point)
    if point == (0, 1):
        raise InvalidKey("small order")


def parse_public_key(value: object) -> str:
    """The key as canonical Base64 of its 32 bytes, or InvalidKey."""
    if not isinstance(value, str) or len(value) > 64:
        raise InvalidKey("type")
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as e:
        raise InvalidKey("base64") from e
    check_public_key(raw)
    return base64.b64encode(raw).decode("ascii")
