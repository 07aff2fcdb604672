"""Test helpers: a Transport that sends the real gateway protocol through Django's test
client, so adapters, sandbox gateway and notification endpoints talk in-process."""

from collections.abc import Mapping
from urllib.parse import urlsplit

from django.test import Client


def client_transport(
    method: str, url: str, headers: Mapping[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    meta = {}
    content_type = "application/octet-stream"
    for name, value in headers.items():
        if name.lower() == "content-type":
            content_type = value
        else:
            meta["HTTP_" + name.upper().replace("-", "_")] = value
    client = Client(HTTP_HOST=parts.netloc or "testserver")
    if method == "GET":
        response = client.get(target, **meta)
    else:
        response = client.generic(method, target, body, content_type=content_type, **meta)
    return response.status_code, dict(response.headers.items()), response.content
