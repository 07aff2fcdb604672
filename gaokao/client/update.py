"""The update check (issue 20): at each sync the client asks the centre which client
version it publishes (GET /api/v1/version) and, when that is newer than its own, tells
the point what to do. The answer is kept in DATA_DIR/client/update.json, so `client
status` and the window of `client run` can say it without the network.

A point never updates itself: the new package comes from the county, like the first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from gaokao.client.sync import Api, SyncError, require_state
from gaokao.ops.version import app_version


def _path() -> Path:
    return Path(settings.DATA_DIR) / "client" / "update.json"


def parse(version: str) -> tuple[int, ...]:
    """ "0.10.2" → (0, 10, 2); the numbers only, enough to order our own releases."""
    return tuple(int(n) for n in re.findall(r"\d+", version.split("+", 1)[0])[:4])


@dataclass
class Update:
    ours: str
    published: str

    @property
    def newer(self) -> bool:
        return bool(parse(self.published)) and parse(self.published) > parse(self.ours)

    def message(self) -> str:
        return _(
            "The centre publishes point client version %(new)s; this PC runs %(ours)s. Ask the"
            " county examination office for the new installation package, and install it"
            " after the work waiting here has been sent (gaokao client status)."
        ) % {"new": self.published, "ours": self.ours}


def check(api: Api) -> Update | None:
    """Ask the server; None when it cannot say (an older server, or no network)."""
    try:
        status, data = api.call("GET", "/version", device_refused=False)
    except SyncError:
        return None
    published = data.get("client_version")
    if status != 200 or not isinstance(published, str) or not published:
        return None
    update = Update(ours=app_version(), published=published)
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"published": published, "checked_at": timezone.now().isoformat()}))
    return update


def check_now(transport=None) -> Update | None:
    """`check` with this client's server (after a sync)."""
    try:
        state = require_state()
    except SyncError:
        return None
    return check(Api(state.server_url, state.token, transport))


def last_known() -> Update | None:
    """What the last check heard, against the version installed now."""
    try:
        published = json.loads(_path().read_text())["published"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Update(ours=app_version(), published=str(published))
