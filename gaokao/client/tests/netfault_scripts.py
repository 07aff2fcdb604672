"""Helpers that test_network_faults.py runs as separate processes, each on its own
database (the environment names it):

python -m gaokao.client.tests.netfault_scripts server-setup   # central: a point, its account
python -m gaokao.client.tests.netfault_scripts take-in N [F]  # client: N candidates from
                                                              # card F on (F=1: and a photo)

python -m gaokao.client.tests.netfault_scripts close-window   # central: the deadline passed
python -m gaokao.client.tests.netfault_scripts import FILE     # central: the county imports

Each prints one JSON object on its last line of output.
"""

import json
import sys


def server_setup() -> dict:
    import datetime as dt
    from pathlib import Path

    import pyotp
    from django.utils import timezone

    from gaokao.codes.models import Code, Table
    from gaokao.numbering.models import NumberRange
    from gaokao.presets.services import PRESETS_DIR, LoadReport, load_codes
    from gaokao.seasons.models import PhaseKind
    from gaokao.testing.factories import (
        PASSWORD,
        CountyFactory,
        PointFactory,
        SeasonFactory,
        add_phase,
        staff_for,
    )

    load_codes(Path(PRESETS_DIR) / "hunan-2020" / "codes.csv", LoadReport())
    county = CountyFactory()
    point = PointFactory(county=county)
    season = SeasonFactory(province=county.parent.parent)
    today = timezone.localdate()
    add_phase(
        season,
        PhaseKind.MAIN,
        opens=today - dt.timedelta(days=2),
        closes=today + dt.timedelta(days=10),
    )
    track = Code.objects.get(table=Table.SUBJECT_TRACK, code="5")
    NumberRange.objects.create(
        season=season, point=point, subject_track=track, first=1, last=100, next_serial=1
    )
    user = staff_for(point)
    user.totp_secret = pyotp.random_base32()
    user.real_name_verified_at = timezone.now()
    user.save()
    return {
        "username": user.username,
        "password": PASSWORD,
        "totp_secret": user.totp_secret,
        "point": point.code,
    }


def take_in(count: int, first: int = 1) -> dict:
    from gaokao.accounts.models import StaffUser
    from gaokao.candidates import services
    from gaokao.candidates.tests.conftest import card
    from gaokao.photos.models import PhotoSource
    from gaokao.photos.services import add_photo
    from gaokao.photos.tests import images
    from gaokao.seasons.models import Season

    user = StaffUser.objects.get(role="point")
    season = Season.objects.get(is_current=True)
    taken = [
        services.take_in_from_card(season, user.point, "5", card(first + n), by=user)
        for n in range(count)
    ]
    result = {
        "candidates": [str(c.pk) for c in taken],
        "numbers": [c.registration_number for c in taken],
    }
    if first == 1:
        data = images.encode(images.portrait(), quality=92)  # about 350 KB: two pieces
        photo = add_photo(taken[0], data, source=PhotoSource.CAMERA, by=user)
        result |= {"photo": str(photo.pk), "photo_sha256": photo.original_sha256}
    return result


def close_window() -> dict:
    import datetime as dt

    from django.utils import timezone

    from gaokao.seasons.models import Phase

    Phase.objects.filter(kind="main").update(ends_at=timezone.now() - dt.timedelta(minutes=1))
    return {"closed": True}


def import_bundle(path: str) -> dict:
    """The county's import in the office web (gaokao.bundles.services.apply)."""
    from pathlib import Path

    from gaokao.bundles import services
    from gaokao.sync.models import Device
    from gaokao.testing.factories import staff_for

    device = Device.objects.get()
    county_user = staff_for(device.point.county, username="county-importer")
    result = services.apply(Path(path).read_bytes(), county_user)
    return {"counts": result.counts, "refused": [p.message for p in result.refused]}


def main() -> None:
    import django

    django.setup()
    action = sys.argv[1]
    if action == "server-setup":
        result = server_setup()
    elif action == "close-window":
        result = close_window()
    elif action == "import":
        result = import_bundle(sys.argv[2])
    elif action == "take-in":
        result = take_in(*(int(a) for a in sys.argv[2:4]))
    else:
        raise SystemExit(f"unknown action {action!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
