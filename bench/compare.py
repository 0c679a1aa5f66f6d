"""Compare two `bench/web.py` runs page by page: a Markdown table for docs/PERFORMANCE.md.

    .venv/bin/python bench/compare.py BEFORE.json AFTER.json [LABEL_BEFORE LABEL_AFTER]

Each run's figure for a page is its ratio to the baseline measured just before it in the same
run (the machine's speed cancels out); the change compares those ratios.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def ratios(path: str) -> dict[str, tuple[float, float]]:
    data = json.loads(Path(path).read_text())
    return {r["page"]: (r["ratio"], r["requests_per_s"]) for r in data["results"]}


def main() -> int:
    before, after = ratios(sys.argv[1]), ratios(sys.argv[2])
    label_before = sys.argv[3] if len(sys.argv) > 3 else "before"
    label_after = sys.argv[4] if len(sys.argv) > 4 else "after"
    print(
        f"| page | {label_before}: req/s | ratio | {label_after}: req/s | ratio | change |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: |"
    )
    for page, (ratio_after, rps_after) in after.items():
        if page not in before or page.startswith("baseline"):
            continue
        ratio_before, rps_before = before[page]
        change = (ratio_after / ratio_before - 1) * 100 if ratio_before else 0.0
        print(
            f"| {page} | {rps_before:.1f} | {ratio_before:.3f} | {rps_after:.1f} | "
            f"{ratio_after:.3f} | {change:+.0f} % |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
