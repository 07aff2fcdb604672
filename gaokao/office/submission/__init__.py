"""The submission upward (上报): pages of the office web."""
