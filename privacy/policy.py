"""The retention policy: how long each kind of personal data is kept, read from the settings.

The defaults and their legal reasoning are in docs/rgpd.md; each is an environment variable.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day and time `months` earlier (the month's last day when it has fewer days)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


@dataclass(frozen=True)
class RetentionPolicy:
    # Evidence files of a dossier, counted from its end (the jury's decision, a withdrawal).
    evidence_months: int
    # Refused, withdrawn and inadmissible dossiers: their candidate and free-text notes.
    closed_dossier_years: int
    # Accounts nobody has logged in to, that hold no role any more.
    inactive_account_years: int
    # The audit trail's personal details (address, browser, names); the events stay.
    audit_details_years: int

    @classmethod
    def from_settings(cls) -> RetentionPolicy:
        return cls(
            evidence_months=settings.RETENTION_EVIDENCE_MONTHS,
            closed_dossier_years=settings.RETENTION_CLOSED_DOSSIER_YEARS,
            inactive_account_years=settings.RETENTION_INACTIVE_ACCOUNT_YEARS,
            audit_details_years=settings.RETENTION_AUDIT_DETAILS_YEARS,
        )

    def cutoffs(self, now: datetime.datetime | None = None) -> Cutoffs:
        now = now or timezone.now()
        return Cutoffs(
            evidence=months_before(now, self.evidence_months),
            closed_dossier=months_before(now, 12 * self.closed_dossier_years),
            inactive_account=months_before(now, 12 * self.inactive_account_years),
            audit_details=months_before(now, 12 * self.audit_details_years),
        )


@dataclass(frozen=True)
class Cutoffs:
    """What ended, or was last used, before these moments is past its retention."""

    evidence: datetime.datetime
    closed_dossier: datetime.datetime
    inactive_account: datetime.datetime
    audit_details: datetime.datetime
