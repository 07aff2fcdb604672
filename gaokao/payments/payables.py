"""What an order pays (应缴项目), as payments sees it: a payable kind tells the price, the
deadline, who the payer is for the audit trail, and what "paid" means. Payments knows no
more than that, as pretix's payment providers know only "an order to pay".

The app that owns a kind registers it (in its AppConfig.ready), so payments never imports
it: today gaokao.professional registers its registrations. PaymentOrder.registration names
the one model an order can pay.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import models


@dataclass(frozen=True)
class Terms:
    """What paying costs now: the amount, the text the gateway shows, and the time after
    which no order for it may be paid (None: only the order's own life limits it)."""

    amount_fen: int
    description: str
    pay_by: dt.datetime | None = None


@dataclass(frozen=True)
class Payer:
    """Who pays, for the audit trail: the unit, the target and the label of `record`,
    and what is paid (kept with each payment event)."""

    unit: models.Model | None
    target: models.Model | None
    label: str
    details: dict = field(default_factory=dict)


class PayableKind(Protocol):
    def terms(self, payable, now: dt.datetime) -> Terms:
        """The terms of paying it now. Raises PaymentRefused when it may not be paid now
        (already paid, given up, past its deadline). Called with the payable locked."""

    def payer(self, payable) -> Payer:
        """Who pays it, for the audit trail."""

    def paid(self, payable, order) -> None:
        """An order for it was paid: mark it so. Called inside the transaction that marks
        the order paid, with the payable locked; exactly once per payable."""

    def expire(self, now: dt.datetime) -> int:
        """End what can no longer be paid (after its deadline, no order open); how many."""


_kinds: dict[type[models.Model], PayableKind] = {}


def register(model: type[models.Model], kind: PayableKind) -> None:
    _kinds[model] = kind


def kind_of(payable) -> PayableKind:
    try:
        return _kinds[type(payable)]
    except KeyError:
        raise ImproperlyConfigured(
            f"{type(payable).__name__} is not a registered payable"
        ) from None


def kinds() -> list[PayableKind]:
    return list(_kinds.values())


def locked(payable):
    """The payable again, its row locked until the transaction ends: every start of a
    payment and every payment applied to it take their turn."""
    return type(payable)._base_manager.select_for_update().get(pk=payable.pk)
