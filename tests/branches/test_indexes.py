"""The indexes the searches rely on answer the SQL Django writes for them (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection

from branches.models import Company
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A test table is tiny: forbid the sequential scan so that the plan shows whether
        # the index can answer the condition at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_company_name_contained_anywhere_is_found_through_the_trigram_index(cast) -> None:
    CompanyFactory.create(branch=cast.branch_a, name="Tannerie du Vieux Moulin")

    found = Company.objects.filter(name__icontains="vieux mou")
    plan = plan_of(found.values("pk"))

    assert "branches_company_name_trigram" in plan
    assert [company.name for company in found] == ["Tannerie du Vieux Moulin"]
