"""A retention period below one unit stops the system checks."""

from __future__ import annotations

from django.test import override_settings

from privacy.checks import retention_periods_check


def test_the_defaults_pass() -> None:
    assert retention_periods_check() == []


@override_settings(RETENTION_EVIDENCE_MONTHS=0, RETENTION_AUDIT_DETAILS_YEARS=-1)
def test_a_period_below_one_is_an_error() -> None:
    errors = retention_periods_check()
    assert [e.id for e in errors] == ["privacy.E001", "privacy.E001"]
    assert "RETENTION_EVIDENCE_MONTHS" in errors[0].msg
