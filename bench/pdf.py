"""PDF benchmark: the application's certificate render against bare WeasyPrint, the sealed render
against the unsealed one, the certificate task with its Open Badges credential signed against
the same task without it, and a 500-certificate jury session rendered (and sealed) by 2 Celery
worker processes against bare WeasyPrint on 2 processes.

Every figure is printed beside its baseline measured in the same run. Run by `make bench`
(after bench/web.py, which prepares the database) or alone:
    .venv/bin/python bench/pdf.py
"""

from __future__ import annotations

import datetime
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cqpi_bench")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")
SESSION_SIZE = int(os.environ.get("BENCH_SESSION_SIZE", "500"))
RENDERS = int(os.environ.get("BENCH_RENDERS", "40"))

sys.path.insert(0, str(ROOT / "bench"))
from web import bench_credentials_secret  # noqa: E402 - the bench folder is not a package

os.environ.update(
    {
        # The same credentials secret as the web benchmark: both sign and read the keys
        # stored in the one bench database.
        "CREDENTIALS_KEY_SECRET": os.environ.get("CREDENTIALS_KEY_SECRET")
        or bench_credentials_secret(),
        "DJANGO_SETTINGS_MODULE": "cqpi.settings.base",
        "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": str(ROOT / "var" / "bench-media"),
        "CELERY_EAGER": "0",
        # The "certificate ready" emails are sent by the same workers; printing 500 of them
        # to the console would be measured too.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _bare_render(html: str) -> int:
    from weasyprint import HTML

    from certifications.rendering import PDF_OPTIONS, STATIC_SCHEME_PREFIX, ProjectStaticFetcher

    # The same output (PDF/A-3b, tagged) as the application: the format is not overhead.
    return len(
        HTML(
            string=html, base_url=STATIC_SCHEME_PREFIX, url_fetcher=ProjectStaticFetcher()
        ).write_pdf(**PDF_OPTIONS)
    )


def _init_worker() -> None:
    import django

    django.setup()
    import weasyprint  # noqa: F401 - imported once per process, as the Celery worker does


def render_overhead(certificate: Any) -> dict[str, Any]:
    """Median and p95 of the application's render vs a bare WeasyPrint render of the same HTML."""
    from certifications.rendering import certificate_html, render_certificate_pdf

    html = certificate_html(certificate)
    for _ in range(3):  # warm both paths
        render_certificate_pdf(certificate)
        _bare_render(html)
    app, bare = _paired_runs(
        _timed(lambda: render_certificate_pdf(certificate)),
        _timed(lambda: _bare_render(html)),
        renders=RENDERS,
    )
    return _compared(app, bare, renders=RENDERS, names=("app", "bare"))


def seal_overhead(certificate: Any, renders: int = RENDERS) -> dict[str, Any]:
    """Median and p95 of the sealed render (render, PAdES seal, check of the new seal) vs the
    unsealed render of the same certificate, interleaved in the same run."""
    from certifications.rendering import render_certificate_pdf
    from certifications.sealing import seal_pdf

    reason = f"Banc d'essai {certificate.number}"
    for _ in range(3):  # warm both paths (the seal's key is loaded once per process)
        seal_pdf(render_certificate_pdf(certificate), reason=reason)
    sealed, unsealed = _paired_runs(
        _timed(lambda: seal_pdf(render_certificate_pdf(certificate), reason=reason)),
        _timed(lambda: render_certificate_pdf(certificate)),
        renders=renders,
    )
    return _compared(sealed, unsealed, renders=renders, names=("sealed", "unsealed"))


def _timed(action: Callable[[], object]) -> Callable[[], float]:
    """`action` as a run that returns how long it took (ms)."""

    def run() -> float:
        started = time.perf_counter()
        action()
        return (time.perf_counter() - started) * 1000

    return run


def _paired_runs(
    measured: Callable[[], float], reference: Callable[[], float], *, renders: int
) -> tuple[list[float], list[float]]:
    """`renders` pairs of runs (each returns its time, ms), the two of a pair back to back, in
    turn first: neither side always runs after the other's garbage and in its caches."""
    first, second = [], []
    for index in range(renders):
        if index % 2:
            first.append(measured())
            second.append(reference())
        else:
            second.append(reference())
            first.append(measured())
    return first, second


def _compared(
    measured: list[float],
    reference: list[float],
    *,
    renders: int,
    names: tuple[str, str] = ("signed", "unsigned"),
) -> dict[str, Any]:
    """Median and p95 of both series (ms), under `<name>_median_ms` and `<name>_p95_ms`; the
    ratio of the medians (measured ÷ reference); and the paired ratio, 1 + the median of the
    pairs' differences ÷ the reference's median. The two runs of a pair are taken back to back,
    so a slow phase of the machine weighs on both: the paired ratio is the steadier estimate of
    what the measured side adds, the ratio of medians moves with the phase each median fell in."""
    result: dict[str, Any] = {"renders": renders}
    for name, series in zip(names, (measured, reference), strict=True):
        result[f"{name}_median_ms"] = statistics.median(series)
        result[f"{name}_p95_ms"] = percentile(series, 95)
    reference_median = result[f"{names[1]}_median_ms"]
    result["ratio_median"] = result[f"{names[0]}_median_ms"] / reference_median
    differences = [m - r for m, r in zip(measured, reference, strict=True)]
    result["added_median_ms"] = statistics.median(differences)
    result["ratio_paired"] = 1 + result["added_median_ms"] / reference_median
    return result


def _print_compared(
    title: str,
    result: dict[str, Any],
    *,
    target: float = 1.10,
    names: tuple[str, str] = ("signed", "unsigned"),
) -> None:
    print(title)
    for side in names:
        print(
            f"  {side:12} median {result[f'{side}_median_ms']:6.1f} ms   "
            f"p95 {result[f'{side}_p95_ms']:6.1f} ms"
        )
    print(
        f"  ratio (median) {result['ratio_median']:.2f}   paired {result['ratio_paired']:.2f} "
        f"(+{result['added_median_ms']:.1f} ms a pair)  (target ≤ {target:.2f})"
    )


def signing_overhead(certificate: Any, renders: int = RENDERS) -> dict[str, Any]:
    """Median and p95 of the certificate task's work with the credential signed (snapshot to
    credential, eddsa-rdfc-2022 proof, schema check, QR JWS, then render and seal with the
    longer QR code) vs without (render and seal), interleaved in the same run. Nothing is saved."""
    from certifications.rendering import render_certificate_pdf
    from certifications.sealing import seal_pdf
    from certifications.services import _sign_credential

    reason = f"Banc d'essai {certificate.number}"

    def unsigned() -> None:
        certificate.credential, certificate.qr_jws = {}, ""
        seal_pdf(render_certificate_pdf(certificate), reason=reason)

    def signed() -> None:
        certificate.credential, certificate.qr_jws = {}, ""
        _sign_credential(certificate)
        seal_pdf(render_certificate_pdf(certificate), reason=reason)

    for _ in range(3):  # warm both paths (contexts, schema and keys are loaded once)
        unsigned()
        signed()
    with_signing, without = _paired_runs(_timed(signed), _timed(unsigned), renders=renders)
    return _compared(with_signing, without, renders=renders)


class _RolledBack(Exception):
    pass


def task_signing_overhead(certificate: Any, renders: int = RENDERS) -> dict[str, Any]:
    """The whole certificate task, as the worker runs it (`certificate_store_pdf`: row lock,
    credential, render, seal, file stored, row and event saved), with its credential signed vs
    with signing left out, interleaved. Each run is rolled back; the stored PDF is put back."""
    from django.core.files.base import ContentFile
    from django.db import transaction

    from certifications import services
    from certifications.models import Certificate, RenderStatus

    real = services._sign_credential
    field = Certificate._meta.get_field("pdf")
    name = field.generate_filename(certificate, f"{certificate.number}.pdf")  # type: ignore[attr-defined]
    original = None
    if certificate.pdf:
        with certificate.pdf.open("rb") as handle:
            original = handle.read()

    def run(signed: bool) -> float:
        services._sign_credential = real if signed else (lambda certificate: None)  # type: ignore[assignment]
        elapsed = 0.0
        try:
            with transaction.atomic():
                Certificate.objects.filter(pk=certificate.pk).update(
                    render_status=RenderStatus.PENDING, credential={}, qr_jws=""
                )
                started = time.perf_counter()
                services.certificate_store_pdf(certificate_id=certificate.pk)
                elapsed = (time.perf_counter() - started) * 1000
                raise _RolledBack
        except _RolledBack:
            pass
        finally:
            services._sign_credential = real
        return elapsed

    try:
        for _ in range(3):
            run(False)
            run(True)
        with_signing, without = _paired_runs(lambda: run(True), lambda: run(False), renders=renders)
    finally:
        storage = field.storage  # type: ignore[attr-defined]
        storage.delete(name)
        if original is not None:
            storage.save(name, ContentFile(original))
    return _compared(with_signing, without, renders=renders)


def bare_throughput(html: str, count: int) -> float:
    """Certificates per second of bare WeasyPrint on 2 processes."""
    with multiprocessing.get_context("fork").Pool(2, initializer=_init_worker) as pool:
        pool.map(_bare_render, [html, html])  # warm both processes
        started = time.perf_counter()
        pool.map(_bare_render, [html] * count, chunksize=1)
        return count / (time.perf_counter() - started)


def prepare_session(size: int) -> tuple[Any, list[Any], Any]:
    """An open jury session of the largest branch with `size` dossiers ready to decide."""
    from django.db.models import Count
    from django.utils import timezone

    from branches.models import Branch, College, Membership, Role
    from candidates import services as dossier_services
    from candidates.models import AccessRoute
    from certifications.models import Capacity
    from evaluations import selectors
    from evaluations import services as evaluation_services
    from evaluations.models import CapacityOutcome, EvaluationKind, MemberRole

    branch = Branch.objects.annotate(n=Count("dossiers")).order_by("-n")[0]
    # A data set generated before the compliance gate has no signatory: the gate would refuse.
    from sampledata.signatories import sign_branch

    sign_branch(branch)
    members = Membership.objects.filter(branch=branch).select_related("user")
    staff = members.filter(role=Role.STAFF)[0].user
    employer = members.filter(role=Role.JURY, college=College.EMPLOYERS)[0].user
    employee = members.filter(role=Role.JURY, college=College.EMPLOYEES)[0].user
    adoption = branch.adoptions.select_related("referentiel")[0]
    version = adoption.referentiel.versions.get(status="in_force")
    capacities = list(Capacity.objects.filter(bloc__version=version).prefetch_related("indicators"))
    session = evaluation_services.jury_session_create(
        branch=branch, held_on=timezone.now(), place="Banc d'essai", by=staff
    )
    evaluation_services.jury_member_convoke(
        session=session, user=employer, role=MemberRole.CHAIR, by=staff
    )
    evaluation_services.jury_member_convoke(
        session=session, user=employee, role=MemberRole.VICE_CHAIR, by=staff
    )
    stamp = timezone.now().strftime("%H%M%S")
    dossiers = []
    for i in range(size):
        candidate = dossier_services.candidate_create(
            branch_id=branch.pk,
            last_name=f"Banc{stamp}",
            first_name=f"Essai{i:04d}",
            birth_date=datetime.date(1990, 1, 1) + datetime.timedelta(days=i),
            birth_place="Lyon",
            by=staff,
        )
        dossier = dossier_services.dossier_open(
            candidate=candidate, version=version, access_route=AccessRoute.DIRECT, by=staff
        )
        dossier_services.dossier_start_evaluation(dossier=dossier, by=staff)
        evaluator = selectors.eligible_evaluators(dossier=dossier).first()
        evaluation = evaluation_services.evaluation_create(
            dossier=dossier, kind=EvaluationKind.FINAL, external_evaluator=evaluator, by=staff
        )
        sheet = evaluation.sheets.get()
        entries = {
            c.pk: evaluation_services.CapacityEntry(
                outcome=CapacityOutcome.ACQUIRED,
                marks={x.pk: x.max_mark for x in c.indicators.all()},
            )
            for c in capacities
        }
        evaluation_services.sheet_save(
            sheet=sheet, entries=entries, expected_version=0, by=evaluator
        )
        evaluation_services.sheet_submit(sheet=sheet, by=evaluator)
        evaluation_services.jury_session_add_dossier(session=session, dossier=dossier, by=staff)
        dossiers.append(dossier)
    evaluation_services.jury_session_open(session=session, by=staff)
    return session, dossiers, employer


def worker_children(parent: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
    except OSError:
        return []


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def session_close(size: int) -> dict[str, Any]:
    from django.db import transaction

    from certifications.models import Certificate, RenderStatus
    from evaluations.models import Outcome
    from sampledata.jury import jury_decides

    print(f"preparing a session of {size} dossiers…", flush=True)
    session, dossiers, chair = prepare_session(size)
    # The broker (the bench's own Redis database) starts empty: neither the emails of the
    # preparation above nor those a previous run's worker left unsent when it was stopped
    # belong to this session's close.
    redis.Redis.from_url(BROKER_URL).flushdb()
    env = dict(os.environ)
    worker = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "cqpi",
            "worker",
            "--concurrency",
            "2",
            "--pool",
            "prefork",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(6)  # the worker starts and imports WeasyPrint in each child
        children = worker_children(worker.pid)
        with transaction.atomic():
            # Recorded together, as at the close of a session: enqueued when this commits.
            for dossier in dossiers:
                jury_decides(session=session, dossier=dossier, outcome=Outcome.AWARD, by=chair)
        started = time.perf_counter()
        ids = list(
            Certificate.objects.filter(decision__session=session).values_list("pk", flat=True)
        )
        while True:
            ready = Certificate.objects.filter(pk__in=ids, render_status=RenderStatus.READY).count()
            if ready == len(ids):
                break
            if time.perf_counter() - started > 900:
                raise RuntimeError(f"only {ready}/{len(ids)} certificates after 15 minutes")
            time.sleep(0.2)
        wall = time.perf_counter() - started
        memory = [peak_memory_mb(pid) for pid in children]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    return {
        "certificates": len(ids),
        "wall_s": wall,
        "per_s": len(ids) / wall,
        "worker_peak_mb": memory,
        "sample_certificate_id": ids[0],
    }


def main() -> int:
    import django

    django.setup()
    from certifications.models import Certificate
    from certifications.rendering import certificate_html

    close = session_close(SESSION_SIZE)
    certificate = Certificate.objects.get(pk=close["sample_certificate_id"])
    overhead = render_overhead(certificate)
    seal = seal_overhead(certificate)
    signing = signing_overhead(certificate)
    task = task_signing_overhead(certificate)
    bare = bare_throughput(certificate_html(certificate), max(50, SESSION_SIZE // 5))
    close["bare_2proc_per_s"] = bare
    close["ratio_to_bare"] = close["per_s"] / bare
    print()
    _print_compared(
        "Certificate render (one process, warm):",
        overhead,
        target=1.30,
        names=("app", "bare"),
    )
    _print_compared(
        "Sealed vs unsealed render of the same certificate (one process, warm):",
        seal,
        target=1.30,
        names=("sealed", "unsealed"),
    )
    _print_compared(
        "Certificate task with vs without its signed credential (one process, warm):", signing
    )
    _print_compared(
        "The whole certificate task (stored, saved, rolled back) with vs without signing:", task
    )
    print(f"Jury session of {close['certificates']} awards (sealed), 2 worker processes:")
    print(
        f"  wall time until the last certificate is stored: {close['wall_s']:.1f} s  (target ≤ 45 s)"
    )
    print(
        f"  {close['per_s']:.1f} certificates/s; bare WeasyPrint on 2 processes {bare:.1f}/s; "
        f"ratio {close['ratio_to_bare']:.2f} (target ≥ 0.75)"
    )
    print(
        "  worker peak memory: "
        + ", ".join(f"{m:.0f} MB" for m in close["worker_peak_mb"])
        + " (target ≤ 300 MB)"
    )
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "pdf.json").write_text(
        json.dumps(
            {"render": overhead, "seal": seal, "signing": signing, "task": task, "session": close},
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
