"""Web benchmark: gunicorn with production settings on the load data, wrk at 20 connections.

Every page is measured against a baseline view (fixed JSON after one trivial query)
measured in the same run, and reported as a ratio of its throughput. Run by `make bench`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
LUA = str(Path(__file__).with_name("wrk_report.lua"))


@dataclass
class Result:
    page: str
    path: str
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    ratio: float = 0.0
    # The baseline's throughput measured right before this page, and the machine's load
    # average (1 min) after it: the machine is shared, its load drifts during a run.
    baseline_rps: float = 0.0
    load: float = 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_seal() -> dict[str, str]:
    """Production settings require a seal: the benchmark seals with the development chain
    (made once under var/seal/ by `manage.py seal_dev_chain`, NOT qualified)."""
    dev = dict(os.environ, DJANGO_SETTINGS_MODULE="cqpi.settings.base")
    for key in ("SEAL_PKCS12_PATH", "SEAL_TRUST_ROOTS", "SEAL_PKCS12_PASSPHRASE"):
        dev.pop(key, None)
    subprocess.run(
        [PY, "manage.py", "seal_dev_chain"], cwd=ROOT, env=dev, check=True, capture_output=True
    )
    code = (
        "from certifications.sealing import configured_files; import json; "
        "f = configured_files(); "
        "print(json.dumps([str(f.pkcs12), f.passphrase, str(f.trust_roots)]))"
    )
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=dev,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pkcs12, passphrase, roots = json.loads(out.strip().splitlines()[-1])
    return {
        "SEAL_PKCS12_PATH": pkcs12,
        "SEAL_PKCS12_PASSPHRASE": passphrase,
        "SEAL_TRUST_ROOTS": roots,
    }


def bench_credentials_secret() -> str:
    """Production settings require the secret that encrypts the branches' credential keys:
    the benchmark keeps one of its own under var/bench/ (the keys it makes are stored in the
    bench database encrypted with it, so every later run must use the same one)."""
    path = ROOT / "var" / "bench" / "credentials_secret"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="),
            encoding="ascii",
        )
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


def bench_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(bench_seal())
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cqpi.settings.production",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            # Production's shared cache (sessions, figures, throttles), in a database of its own.
            "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/14"),
            # One user makes more API requests in a run than production allows in an hour
            # (2000): the throttle still counts every request, it just never refuses one.
            "API_THROTTLE_USER": "1000000/hour",
            # The verification pages share one count per address (60 a minute in
            # production), which wrk's single address would spend in a second.
            "API_THROTTLE_VERIFY": "100000000/minute",
            "SECRET_KEY": env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": "https://cqpi-bench.invalid",
            "SECURE_SSL_REDIRECT": "0",
            "BENCHMARK_VIEWS": "1",
            "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
            "LOG_LEVEL": "WARNING",
            # Production asks staff for a second factor; the benchmark's generated people have
            # no device, and what is measured is the pages behind the login.
            "TWO_FACTOR_REQUIRED_ROLES": "",
            "CREDENTIALS_KEY_SECRET": env.get("CREDENTIALS_KEY_SECRET")
            or bench_credentials_secret(),
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def shell(env: dict[str, str], code: str) -> Any:
    """Run Django code in the bench settings and return what it prints as JSON."""
    return json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])


def login(base: str, email: str, password: str) -> str:
    """Log in through the real form; return the session cookie value."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    page = opener.open(f"{base}/comptes/connexion/")
    cookies = {
        m.group(1): m.group(2)
        for header in page.headers.get_all("Set-Cookie") or []
        if (m := re.match(r"([^=]+)=([^;]*)", header))
    }
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.read())
    assert token, "no CSRF token on the login page"
    body = urllib.parse.urlencode(
        {"username": email, "password": password, "csrfmiddlewaretoken": token.group(1).decode()}
    ).encode()
    request = urllib.request.Request(
        f"{base}/comptes/connexion/",
        data=body,
        headers={
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Referer": f"{base}/comptes/connexion/",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        response = opener.open(request)
        headers = response.headers
    except urllib.error.HTTPError as exc:  # the 302 after a successful login
        headers = exc.headers
    for header in headers.get_all("Set-Cookie") or []:
        match = re.match(r"sessionid=([^;]+)", header)
        if match:
            return match.group(1)
    raise RuntimeError(f"login failed for {email}")


def connections() -> int:
    """BENCH_CONNECTIONS: wrk's concurrent connections (20 by default; 1 measures a page's own
    latency, with no queueing behind other requests)."""
    return int(os.environ.get("BENCH_CONNECTIONS", "20"))


def wrk_connections() -> list[str]:
    return [f"-t{min(2, connections())}", f"-c{connections()}"]


def wrk(
    base: str, page: str, path: str, cookie: str | None, seconds: int, warmup: int = 3
) -> Result:
    headers = ["-H", f"Cookie: sessionid={cookie}"] if cookie else []
    url = f"{base}{path}"
    # Warm-up, not measured.
    subprocess.run(
        ["wrk", *wrk_connections(), f"-d{warmup}s", *headers, url],
        check=True,
        capture_output=True,
    )
    # A 10 s timeout rather than wrk's 2 s: a slow answer is measured as slow (the p95 says
    # it), not counted as an error with no latency.
    done = subprocess.run(
        [
            "wrk",
            *wrk_connections(),
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            LUA,
            *headers,
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    figures = dict(re.findall(r"^CQPI (\w+) ([\d.]+)$", done.stdout, re.MULTILINE))
    return Result(
        page=page,
        path=path,
        requests_per_s=float(figures["rps"]),
        p50_ms=float(figures["p50"]) / 1000,
        p95_ms=float(figures["p95"]) / 1000,
        p99_ms=float(figures["p99"]) / 1000,
        errors=int(float(figures["errors"])),
        load=os.getloadavg()[0],
    )


TARGETS_CODE = r"""
import json
from django.db.models import Count
from branches.models import Branch, Membership
from candidates.models import Dossier
from certifications.models import Certificate
from evaluations.models import EvaluationSheet, JurySession
from sampledata.loaddata import LOAD_EMAIL_DOMAIN, LOAD_PASSWORD
branch = Branch.objects.annotate(n=Count("dossiers")).order_by("-n").first()
staff = Membership.objects.filter(branch=branch, role="staff", user__email__endswith=LOAD_EMAIL_DOMAIN).select_related("user").first().user
dossier = Dossier.objects.filter(branch=branch, status="awarded").order_by("-pk").first()
sheet = EvaluationSheet.objects.filter(evaluation__dossier__branch=branch, status="draft").select_related("evaluator").first()
from django.db.models import F, Func
session = JurySession.objects.filter(branch=branch).annotate(n=Count("agenda")).annotate(gap=Func(F("n") - 50, function="ABS")).order_by("gap").first()
certificate = Certificate.objects.filter(branch=branch, status="valid").first()
name = dossier.candidate.last_name
# The deep page as a person reaches it: the "next" link of the page before, which continues
# after that page's last row (core.pagination.KeysetPaginator).
deep = max(1, (branch.n + 49) // 50 - 5)
deep_after = (
    Dossier.objects.filter(branch=branch).order_by("-opened_on", "-pk")
    .values_list("pk", flat=True)[(deep - 1) * 50 - 1] if deep > 1 else ""
)
# The national figures are the COC's page: one observer account beside the generated people.
from accounts.models import User
from django.contrib.auth.hashers import make_password
coc, _ = User.objects.get_or_create(
    email=f"coc.observateur@{LOAD_EMAIL_DOMAIN}",
    defaults={"is_coc_observer": True, "password": make_password(LOAD_PASSWORD),
              "first_name": "Observateur", "last_name": "COC"},
)
print(json.dumps({
    "branch": branch.code, "branch_id": branch.pk, "dossiers": branch.n, "staff": staff.email,
    "dossier": dossier.pk, "sheet": sheet.pk, "evaluator": sheet.evaluator.email,
    "session": session.pk, "session_agenda": session.n, "code": certificate.verification_code,
    "name": name, "cqpi": dossier.version.referentiel_id, "deep": deep, "deep_after": deep_after,
    "password": LOAD_PASSWORD, "coc": coc.email,
}))
"""


PAGE_NAMES = {
    "baseline": "baseline (fixed JSON, one query)",
    "floor": "empty page, full layout (CPNE staff)",
    "list": "dossier list, first page",
    "deep": "dossier list, deep page",
    "search": "dossier list, search",
    "filter": "dossier list, filter",
    "detail": "dossier detail",
    "grid": "evaluator grid",
    "session": "jury session ({session_agenda} dossiers)",
    "api": "API dossier list",
    "verify": "public verification",
    "figures": "figures, CPNE staff (their branch, cached)",
    "figures_coc": "figures, COC observer (national, cached)",
    "figures_coc_filter": "figures, COC observer (a branch and a CQPI)",
}


def bench_pages(targets: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(key, path, who): the pages measured, and who is logged in for each."""
    pages = [
        ("baseline", "/bench/baseline", None),
        ("floor", "/bench/floor", "staff"),
        ("list", "/dossiers/", "staff"),
        ("deep", f"/dossiers/?page={targets['deep']}&after={targets['deep_after']}", "staff"),
        ("search", f"/dossiers/?q={urllib.parse.quote(targets['name'])}", "staff"),
        ("filter", f"/dossiers/?status=awarded&cqpi={targets['cqpi']}", "staff"),
        ("detail", f"/dossiers/{targets['dossier']}/", "staff"),
        ("grid", f"/evaluations/grilles/{targets['sheet']}/", "evaluator"),
        ("session", f"/evaluations/jurys/{targets['session']}/", "staff"),
        ("api", "/api/v1/dossiers/", "staff"),
        ("verify", f"/verify/{targets['code']}/", None),
        ("figures", "/chiffres/", "staff"),
        ("figures_coc", "/chiffres/", "coc"),
        (
            "figures_coc_filter",
            f"/chiffres/?branch={targets['branch_id']}&cqpi={targets['cqpi']}",
            "coc",
        ),
    ]
    only = os.environ.get("BENCH_PAGES")
    if only:
        keys = {"baseline", *only.split(",")}
        pages = [page for page in pages if page[0] in keys]
    return pages


def main() -> int:
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cqpi_bench"
    )
    dossiers = int(os.environ.get("BENCH_DOSSIERS", "100000"))
    seconds = int(os.environ.get("BENCH_SECONDS", "20"))
    env = bench_env(database_url)
    ensure_database(database_url)
    manage(env, "migrate", "--no-input", "-v", "0")
    count = shell(env, "from candidates.models import Dossier; print(Dossier.objects.count())")
    if count < dossiers:
        print(f"generating the load data ({dossiers} dossiers)…", flush=True)
        manage(env, "generate_load_data", "--dossiers", str(dossiers - count), "--seed", "1")
    vacuum_analyze(database_url)
    # Nothing cached by an earlier run (on other data, perhaps) is served: figures, sessions.
    redis.Redis.from_url(env["CACHE_URL"]).flushdb()
    manage(env, "collectstatic", "--no-input", "-v", "0")
    manage(env, "compilemessages", "--ignore", ".venv", "--ignore", "var", "-v", "0")
    targets = shell(env, TARGETS_CODE)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "cqpi.wsgi",
            "--workers",
            os.environ.get("BENCH_WORKERS", "2"),
            *gunicorn_threads(),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(f"{base}/healthz")
        staff = login(base, targets["staff"], targets["password"])
        evaluator = login(base, targets["evaluator"], targets["password"])
        coc = login(base, targets["coc"], targets["password"])
        cookies = {"staff": staff, "evaluator": evaluator, "coc": coc, None: None}
        pages = [
            (PAGE_NAMES[key].format(**targets), path, cookies[who])
            for key, path, who in bench_pages(targets)
        ]
        results = []
        baseline_seconds = int(os.environ.get("BENCH_BASELINE_SECONDS", "5"))
        for index, (page, path, cookie) in enumerate(pages):
            status = probe(f"{base}{path}", cookie)
            if status != 200:
                print(f"skipped {page}: {path} answers {status}", flush=True)
                continue
            neighbour = None
            if index > 0:
                baseline_page, baseline_path, _ = pages[0]
                neighbour = wrk(base, baseline_page, baseline_path, None, baseline_seconds, 1)
            result = wrk(base, page, path, cookie, seconds)
            result.baseline_rps = (neighbour or result).requests_per_s
            results.append(result)
            print(
                f"{page:45} {result.requests_per_s:8.1f} req/s  p50 {result.p50_ms:6.1f}  "
                f"p95 {result.p95_ms:6.1f}  p99 {result.p99_ms:6.1f} ms  errors {result.errors}"
                f"  (baseline just before: {result.baseline_rps:.1f} req/s, load {result.load:.1f})",
                flush=True,
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    for result in results:
        result.ratio = result.requests_per_s / result.baseline_rps if result.baseline_rps else 0.0
    report(targets, results)
    return 0


def gunicorn_threads() -> list[str]:
    """BENCH_THREADS=N (N > 1) runs gthread workers of N threads each instead of sync ones."""
    threads = int(os.environ.get("BENCH_THREADS", "1"))
    return ["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def probe(url: str, cookie: str | None) -> int:
    """The page's own status, redirects not followed: a page that sends the benchmark's user
    elsewhere (the login, the second factor) is not the page to measure."""
    request = urllib.request.Request(
        url, headers={"Cookie": f"sessionid={cookie}"} if cookie else {}
    )
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urllib.parse.urlparse(url)
    name = parsed.path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def vacuum_analyze(url: str) -> None:
    """What autovacuum does to a table some time after a bulk load: planner statistics, and the
    visibility map that lets index-only scans skip the table. Measured without it, a freshly
    generated database shows plans and timings production would not have."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")


def report(targets: dict[str, Any], results: list[Result]) -> None:
    print()
    print(
        f"Largest branch: {targets['branch']} ({targets['dossiers']} dossiers); "
        f"figures at {connections()} connection(s); ratio = page req/s ÷ the baseline's req/s measured "
        f"just before the page ({os.environ.get('BENCH_BASELINE_SECONDS', '5')} s); "
        "load = 1-minute load average after the page"
    )
    print(
        f"{'page':45} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'err':>4} "
        f"{'base/s':>8} {'ratio':>6} {'load':>5}"
    )
    for r in results:
        print(
            f"{r.page:45} {r.requests_per_s:8.1f} {r.p50_ms:7.1f} {r.p95_ms:7.1f} "
            f"{r.p99_ms:7.1f} {r.errors:4d} {r.baseline_rps:8.1f} {r.ratio:6.2f} {r.load:5.1f}"
        )
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "web.json").write_text(
        json.dumps(
            {"targets": targets, "results": [asdict(r) for r in results]},
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"\nwritten to {out / 'web.json'}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
