"""EXPLAIN ANALYZE of the hot queries on the load data, as Markdown for docs/PERFORMANCE.md.

The queries are the ones the pages run, built by the same querysets, for the staff of the
largest branch. Run after bench/web.py has prepared the database:
    .venv/bin/python bench/explain.py > var/bench/explain.md
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqpi.settings.base")
os.environ.setdefault(
    "DATABASE_URL",
    os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cqpi_bench"),
)
os.environ.setdefault("DEBUG", "0")


def explain(title: str, queryset: Any, *, count: bool = False) -> None:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    if count:  # what the paginator asks first
        sql = f"SELECT COUNT(*) FROM ({sql}) AS counted"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(f"### {title}\n\n```\n{plan}\n```\n")


def main() -> None:
    import django

    django.setup()
    from django.db.models import Count, Window

    from branches.models import Branch, Membership
    from candidates.forms import DossierFilterForm
    from candidates.models import Dossier
    from certifications.models import Certificate
    from core.pagination import KeysetPaginator

    branch = Branch.objects.annotate(n=Count("dossiers")).order_by("-n")[0]
    staff = Membership.objects.filter(branch=branch, role="staff")[0].user
    base = Dossier.objects.managed_by(staff)  # as the list view: its rows are read apart
    # The name bench/web.py searches for: the candidate of the branch's newest awarded dossier.
    name = (
        Dossier.objects.filter(branch=branch, status="awarded")
        .order_by("-pk")
        .select_related("candidate")[0]
        .candidate.last_name
    )

    def filtered(**data: str) -> Any:
        form = DossierFilterForm(data, user=staff)
        assert form.is_valid(), form.errors
        return form.apply(base)

    # Counted again rather than read from the annotation, which the stubs lose through order_by.
    count = Dossier.objects.filter(branch=branch).count()
    print(f"Largest branch: {branch.code}, {count} dossiers.\n")
    listing = filtered()
    explain("Dossier list, first page (ids)", listing.values_list("pk", flat=True)[:50])
    deep = (count // 50 - 6) * 50  # bench/web.py measures the page after this row
    after = listing.values_list("pk", flat=True)[deep - 1]
    following = KeysetPaginator(listing, 50).continuing(after)
    assert following is not None
    explain(
        f"Dossier list, a deep page (the 51 ids after row {deep:,}, its 'next' link)",
        following.values_list("pk", flat=True)[:51],
    )
    explain(
        f"Dossier list, count (up to {KeysetPaginator.count_limit + 1:,})",
        listing.order_by().values("pk")[: KeysetPaginator.count_limit + 1],
        count=True,
    )
    awarded = filtered(status="awarded")
    explain("Dossier list filtered by status (ids)", awarded.values_list("pk", flat=True)[:50])
    cqpi = str(dossier_cqpi(branch))
    by_cqpi = filtered(status="awarded", cqpi=cqpi)
    explain(
        "Dossier list filtered by status and CQPI (count, capped the same)",
        by_cqpi.order_by().values("pk")[: KeysetPaginator.count_limit + 1],
        count=True,
    )
    for query in (name, name[:3]):
        # A search's count comes with its ids (DeferredJoinPaginator's count_with_ids).
        searched = filtered(q=query).annotate(_total=Window(Count("pk")))
        explain(
            f"Dossier list, search {query!r} (the page's ids with the count)",
            searched.values_list("pk", "_total")[:50],
        )
    dossier = Dossier.objects.filter(branch=branch).order_by("-pk")[0]
    explain(
        "Dossier detail (scoped lookup)", Dossier.objects.visible_to(staff).filter(pk=dossier.pk)
    )
    api = Dossier.objects.visible_to(staff).with_list_relations()
    explain(
        "API dossier list, a page's ids (newest first)",
        api.select_related(None).only("pk").order_by("-id")[:26],
    )
    ids = list(api.order_by("-id").values_list("pk", flat=True)[:25])
    explain("API dossier list, the page's rows", api.order_by().filter(pk__in=ids))
    from evaluations.forms import AgendaForm
    from evaluations.models import JurySession

    session = JurySession.objects.filter(branch=branch).order_by("-pk")[0]
    ready = AgendaForm(session=session, user=staff).fields["dossier"].queryset  # type: ignore[attr-defined]
    explain(
        "Jury session, the ready dossiers listed (ids, the 20 waiting longest)",
        ready.values_list("pk", flat=True)[: AgendaForm.READY_SHOWN],
    )
    explain("Jury session, how many dossiers are ready", ready.order_by().values("pk"), count=True)
    code = Certificate.objects.filter(branch=branch)[0].verification_code
    explain("Public verification (by code)", Certificate.objects.filter(verification_code=code))


def dossier_cqpi(branch: Any) -> int:
    from candidates.models import Dossier

    return int(
        Dossier.objects.filter(branch=branch, status="awarded")
        .order_by("-pk")
        .values_list("version__referentiel_id", flat=True)[0]
    )


if __name__ == "__main__":
    main()
