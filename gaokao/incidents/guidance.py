"""What the plan's contingency table (四、异常情况下的应对措施) says to do for each kind of
incident, shown beside it so that every level acts alike (E3–E8)."""

from django.utils.translation import gettext_lazy as _

from gaokao.incidents.models import Kind

STEPS = {
    Kind.POWER: (  # E4
        _("Have the power restored as soon as possible."),
        _(
            "If it stays off for long, have candidates fill in paper draft forms and take "
            "their photos with a digital camera; once power is back, key the data into the "
            "point client and submit it to the central database."
        ),
        _(
            "If power is still off as registration nears its end, borrow computers in a "
            "nearby area that has power, or a generator for the point client's computers, "
            "and key in the data together."
        ),
    ),
    Kind.NETWORK: (  # E5
        _("Have the network restored as soon as possible."),
        _(
            "If it stays down for long, have candidates fill in paper draft forms and enter "
            "their data and photos in the point client; it submits them once the network is "
            "back."
        ),
        _(
            "If the network is still down as registration nears its end, write the point "
            "client's data to a disc and take it to the office above, which loads it."
        ),
    ),
    Kind.ATTACK: (  # E3
        _("Watch the system live; if needed the province pauses the service or the network."),
        _("Make sure the data is backed up in time."),
        _("Have the attack dealt with as soon as possible."),
        _(
            "If it cannot be solved in a short time, the province extends the deadline or "
            "changes the way data is collected."
        ),
    ),
    Kind.DISASTER: (  # E6
        _(
            "Candidates who cannot come to the point confirm their data by phone and send a "
            "digital photo over the network; the point records both as the system requires."
        ),
        _("In severe cases the province extends the deadline."),
    ),
    Kind.SYSTEM: (  # E7
        _("The province has the fault cleared as soon as possible."),
        _(
            "If it cannot be solved in a short time, the province extends the deadline or "
            "changes the way data is collected."
        ),
    ),
    Kind.OTHER: (  # E8
        _(
            "Report it to the office above at once; the city office reports it to the "
            "province authority."
        ),
        _("Have it studied and solved as soon as possible."),
    ),
}

# Kinds whose handling may end in an extension of the deadline (E3, E6, E7).
MAY_NEED_EXTENSION = frozenset({Kind.ATTACK, Kind.DISASTER, Kind.SYSTEM})
