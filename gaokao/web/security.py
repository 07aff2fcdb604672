"""Browser-side hardening headers that Django's SecurityMiddleware does not set.

Content-Security-Policy: every script comes from our own static files (no inline script,
no `on…=` handlers, no `javascript:` URLs, no eval), so an injected tag runs nothing.
Styles allow inline `style` attributes, which Bootstrap's components and a few templates
use; styles cannot run script. The page may reach our own origin and the point PC's
ID-card reader bridge (GAOKAO_READER_URL); the webcam's pictures are `blob:` and `data:`
URLs. Forms post to our own origin and to the payment gateway that takes a posted form
(UnionPay's front gateway; WeChat Pay and Alipay are plain links). No site may frame us.

Permissions-Policy: the camera for our own pages (the photo page), nothing else.

Referrer-Policy (same-origin), X-Frame-Options, X-Content-Type-Options and
Cross-Origin-Opener-Policy come from Django's settings and middleware.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"
# Documents only: a PDF opened in the browser is shown by its PDF viewer, which
# `object-src 'none'` would block; JSON, images and files run no script.
DOCUMENT_TYPES = ("text/html", "image/svg+xml")


def origin(url: str) -> str | None:
    """scheme://host[:port] of an absolute http(s) URL, or None."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def form_targets() -> list[str]:
    """Origins outside ours that the portal's payment pages post a form to."""
    from gaokao.payments import config
    from gaokao.payments.gateways.unionpay import PRODUCTION_FRONT_URL

    try:
        data = config.load()
    except Exception:  # a broken payments file is reported where payments are used
        return []
    targets = []
    if "unionpay" in data:
        target = origin(data["unionpay"].get("front_url", PRODUCTION_FRONT_URL))
        if target:
            targets.append(target)
    return targets


def content_security_policy() -> str:
    reader = origin(settings.GAOKAO_READER_URL)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *([reader] if reader else [])],
        "form-action": ["'self'", *form_targets()],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(dict.fromkeys(v))}" for name, v in directives.items())


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy to documents and Permissions-Policy to every
    response. Place it right after django.middleware.security.SecurityMiddleware, so
    that the pause page and static files get the headers too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type in DOCUMENT_TYPES and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy()
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = PERMISSIONS_POLICY
        return response
