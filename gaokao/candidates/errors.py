"""The refusals of changes to a candidate's record. Each is a ValidationError whose message
is shown to people as it is; front ends that show any such refusal catch CandidateRefused,
and the domains whose records hang on a candidate (comments, proofreading) derive theirs
from it."""

from django.core.exceptions import ValidationError


class CandidateRefused(ValidationError):
    """A change to a candidate's record is refused."""


class IntakeRefused(CandidateRefused):
    """Intake, a card read, an identity review or the point's checks are refused (S2-S4)."""


class DataRefused(CandidateRefused):
    """The candidate's own data is refused (O5): field errors by name."""


class ConfirmationRefused(CandidateRefused):
    """The confirmation password is wrong, or locked after too many wrong tries."""


class Locked(CandidateRefused):
    """The record has been submitted beyond the user's level (S9)."""
