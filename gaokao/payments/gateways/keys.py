"""What the three gateways share: SHA256withRSA (PKCS#1 v1.5) signatures in Base64, PEM key
files, and Beijing time. Each protocol decides *what* it signs; this module only signs."""

import base64
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.exceptions import ImproperlyConfigured

BEIJING = ZoneInfo("Asia/Shanghai")  # every gateway's timestamps are Beijing time


def sign(message: bytes, private_key: rsa.RSAPrivateKey) -> str:
    return base64.b64encode(private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(message: bytes, signature: str, public_key: rsa.RSAPublicKey) -> bool:
    """False for a wrong, garbled or non-Base64 signature; never raises on hostile input."""
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, TypeError, InvalidSignature):  # binascii.Error is a ValueError
        return False
    return True


def load_private_key(file: Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(file.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured(f"{file}: not an RSA private key")
    return key


def load_public_key(file: Path) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(file.read_bytes())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ImproperlyConfigured(f"{file}: not an RSA public key")
    return key


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_private(file: Path, key: rsa.RSAPrivateKey) -> Path:
    """A private key file readable by its owner only (created so, never world-readable)."""
    file.touch(mode=0o600, exist_ok=True)
    file.chmod(0o600)
    file.write_bytes(private_pem(key))
    return file


def write_public(file: Path, key: rsa.RSAPrivateKey) -> Path:
    file.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return file
