"""The legal deadline of an award's declaration to the Caisse des Dépôts (Passeport de
compétences): three months from the award. The declaration itself is the declarations
room's (docs/cdc.md); this one rule is read by the dashboard, the certificate list and it."""

from __future__ import annotations

import datetime

DECLARATION_DEADLINE_MONTHS = 3
# Awards are flagged from this many days before their limit.
DECLARATION_WARNING_DAYS = 30


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole calendar months, on the month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return datetime.date(year, month, min(day.day, (following - datetime.timedelta(days=1)).day))


def declaration_deadline(issued_on: datetime.date) -> datetime.date:
    """The last day to declare an award to the Caisse des Dépôts."""
    return add_months(issued_on, DECLARATION_DEADLINE_MONTHS)


def late_before(today: datetime.date) -> datetime.date:
    """Awards issued before this day are past their limit."""
    return add_months(today, -DECLARATION_DEADLINE_MONTHS)


def due_before(today: datetime.date) -> datetime.date:
    """Awards issued before this day reach their limit within the warning window."""
    return add_months(
        today + datetime.timedelta(days=DECLARATION_WARNING_DAYS), -DECLARATION_DEADLINE_MONTHS
    )
