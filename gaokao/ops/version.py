"""The version of this app server, as installed: read by the status page, the metrics and
the manifest of every backup (so that a restore can name the version that wrote it)."""

from functools import cache
from importlib import metadata


@cache
def app_version() -> str:
    try:
        return metadata.version("gaokao")
    except metadata.PackageNotFoundError:
        return "unknown"
