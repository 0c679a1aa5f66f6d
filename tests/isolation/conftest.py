"""Report the matrix's size in pytest's summary, with or without -s."""

from __future__ import annotations

from typing import Any

MATRIX_REPORT: dict[str, int] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if "cases" in MATRIX_REPORT:
        terminalreporter.write_line(
            f"isolation matrix: {MATRIX_REPORT['cases']} cases over "
            f"{MATRIX_REPORT['urls']} URL names"
        )
