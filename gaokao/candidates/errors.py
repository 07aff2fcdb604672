from django.core.exceptions import ValidationError


class IntakeRefused(ValidationError):
    """A refusal of a change to a candidate, whose message is shown to people as it is."""
