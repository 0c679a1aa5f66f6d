"""The isolation matrix: every URL name is covered, and no role reaches what it may not."""

from __future__ import annotations

import logging

import pytest
from django.test import TestCase

from .conftest import MATRIX_REPORT
from .framework import (
    Fingerprint,
    is_exempt,
    load_cases,
    run_case,
    signed_in_clients,
    url_names,
)
from .world import World, build_world

# The matrix shrinking below this means cases were lost, not that the project got safer.
MINIMUM_CASES = 500


class IsolationMatrix(TestCase):
    world: World

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()

    def test_every_url_name_has_a_case(self) -> None:
        cases = load_cases()
        uncovered = sorted(n for n in url_names() if not is_exempt(n) and n not in cases)
        assert not uncovered, (
            "URL names without an isolation case (add them to tests/isolation/cases_<area>.py): "
            + ", ".join(uncovered)
        )

    def test_no_case_names_a_url_that_does_not_exist(self) -> None:
        stale = sorted(set(load_cases()) - url_names())
        assert not stale, f"cases for URL names that no longer exist: {stale}"

    # Five thousand requests and more in one test (every role × every URL name): the suite's
    # 300 s per-test limit is for tests that hang, not for this one, which grows with the URLs.
    @pytest.mark.timeout(1200)
    @pytest.mark.slow
    def test_every_role_gets_exactly_its_due_on_every_url(self) -> None:
        clients = signed_in_clients(self.world)
        # After signing in: logins change users' last_login and the recorded sessions.
        fingerprint = Fingerprint()
        cases = load_cases()
        ran = 0
        failures: list[str] = []
        # Hundreds of expected 403/404 would each log a warning with a traceback.
        quiet = [logging.getLogger(name) for name in ("django.request", "axes")]
        levels = [logger.level for logger in quiet]
        for logger in quiet:
            logger.setLevel(logging.ERROR)
        try:
            for name in sorted(cases):
                outcome = run_case(cases[name], self.world, fingerprint, clients)
                ran += outcome.ran
                failures += outcome.failures
        finally:
            for logger, level in zip(quiet, levels, strict=True):
                logger.setLevel(level)
        MATRIX_REPORT.update(cases=ran, urls=len(cases))
        print(f"isolation matrix: {ran} cases")
        assert not failures, f"{len(failures)} of {ran} cases failed:\n" + "\n".join(failures)
        assert ran >= MINIMUM_CASES, f"only {ran} cases ran"
