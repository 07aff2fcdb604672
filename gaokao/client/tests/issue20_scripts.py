"""Helpers that test_issue20_real_processes.py runs as separate processes, each on its own
database (the environment names it):

python -m gaokao.client.tests.issue20_scripts card N   # client: take in the N-th card's
                                                       # holder, the point's checks, a login card

Each prints one JSON object on its last line of output.
"""

import json
import sys


def take_in_and_issue_card(n: int) -> dict:
    """On the point client, offline: a candidate read from an ID card, the point's checks,
    and a login card printed for them (the password is what the card shows)."""
    from gaokao.accounts.models import StaffUser
    from gaokao.candidates import services
    from gaokao.candidates.tests.conftest import card
    from gaokao.seasons.models import Season

    user = StaffUser.objects.get(role="point")
    season = Season.objects.get(is_current=True)
    candidate = services.take_in_from_card(season, user.point, "5", card(n), by=user)
    candidate = services.record_point_checks(
        candidate,
        version=candidate.version,
        documents_received=True,
        fee_fen=4000,
        fee_receipt=f"R-{n}",
        eligibility="eligible",
        note="",
        by=user,
    )
    [issued] = services.issue_login_cards([candidate], by=user)
    return {
        "candidate": str(candidate.pk),
        "number": candidate.registration_number,
        "password": issued.password,
    }


def main() -> None:
    import django

    django.setup()
    action = sys.argv[1]
    if action == "card":
        result = take_in_and_issue_card(int(sys.argv[2]))
    else:
        raise SystemExit(f"unknown action {action!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
