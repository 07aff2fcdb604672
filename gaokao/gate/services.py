"""Access to the portal and the office web under load (E1, E3): the pause switch, the
portal's regional time slots and admission control. (Being built: see the helper's work.)"""


def active_sessions() -> int:
    """Candidate sessions active now, across all app servers."""
    return 0


def waiting() -> int:
    """Candidates in the admission queue now."""
    return 0
