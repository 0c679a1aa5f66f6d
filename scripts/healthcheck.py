"""Container health check: GET /healthz on the local gunicorn, exit 0 only on 200.

Production settings redirect plain HTTP to HTTPS and check the Host header, so the
request names an allowed host and says it came through the TLS proxy.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def host_header(allowed_hosts: str) -> str:
    """A host that ALLOWED_HOSTS accepts: its first entry, a leading-dot domain as itself."""
    first = next((h.strip() for h in allowed_hosts.split(",") if h.strip()), "localhost")
    if first == "*":
        return "localhost"
    return first.lstrip(".")


def main() -> int:
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz",
        headers={
            "Host": host_header(os.environ.get("ALLOWED_HOSTS", "")),
            "X-Forwarded-Proto": "https",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
            print(response.read().decode())
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(f"healthz answered {exc.code}: {exc.read().decode(errors='replace')}")
    except OSError as exc:
        print(f"healthz unreachable: {exc}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
