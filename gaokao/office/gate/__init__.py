"""The province's pause switch, admission limit and the portal's time slots (E1, E3): pages of
the office web."""
