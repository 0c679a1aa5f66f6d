"""The figures page, its CSV/XLSX exports and the statistics API: access, filters and numbers."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from figures.exports import table_csv, table_xlsx
from figures.selectors import FigureFilters, compute_figures
from figures.tables import Table

pytestmark = pytest.mark.django_db

PAGE = reverse("figures:dashboard")


def api_url() -> str:
    # Mounted by cqpi/api/urls.py (the API room) from figures/api_urls.py.
    return reverse("api:statistics")


def export_url(table: str, fmt: str) -> str:
    return reverse("figures:export", args=[table, fmt])


def as_client(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def read_csv(response: Any) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def indicator(rows: list[list[Any]], label: str) -> Any:
    return next(row[1] for row in rows if row[0] == label)


# --- Who may read the figures ---------------------------------------------------


@pytest.mark.parametrize("url", [PAGE, export_url("indicateurs", "csv")])
def test_anonymous_visitors_are_sent_to_login(client: Any, cast: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_api_refuses_anonymous_callers(client: Any, cast: Any) -> None:
    assert client.get(api_url()).status_code in (401, 403)


@pytest.mark.parametrize("url", [PAGE, export_url("indicateurs", "csv"), "api"])
def test_staff_asking_for_another_branch_get_not_found(client: Any, cast: Any, url: str) -> None:
    url = api_url() if url == "api" else url
    response = as_client(client, cast.staff_a).get(url, {"branch": cast.branch_b.pk})
    assert response.status_code == 404


@pytest.mark.parametrize("url", [PAGE, export_url("indicateurs", "csv"), "api"])
@pytest.mark.parametrize("who", ["outsider", "evaluator", "jury_employer", "candidate_user"])
def test_people_without_a_figures_role_are_forbidden(
    client: Any, cast: Any, url: str, who: str
) -> None:
    url = api_url() if url == "api" else url
    assert as_client(client, getattr(cast, who)).get(url).status_code == 403


@pytest.mark.parametrize("who", ["coc_observer", "admin", "staff_a"])
def test_observers_administrators_and_staff_read_the_page(client: Any, cast: Any, who: str) -> None:
    response = as_client(client, getattr(cast, who)).get(PAGE)
    assert response.status_code == 200
    assert "Chiffres des CQPI" in response.content.decode()


def test_the_navigation_offers_the_figures_to_the_coc_only_among_these(
    client: Any, cast: Any
) -> None:
    link = f'href="{PAGE}"'
    # The observer's home is the figures page itself; its navigation names it.
    observer = as_client(client, cast.coc_observer).get(reverse("home"), follow=True)
    assert link in observer.content.decode()
    assert link not in as_client(client, cast.outsider).get(reverse("home")).content.decode()


# --- What the page shows ----------------------------------------------------------


def json_script(html: str, element_id: str) -> Any:
    start = html.index(f'<script id="{element_id}" type="application/json">')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def test_the_page_shows_the_known_figures_with_charts_data_and_tables(
    client: Any, cast: Any, dataset: Any
) -> None:
    response = as_client(client, cast.coc_observer).get(PAGE, {"branch": dataset.branch_a.pk})
    html = response.content.decode()
    assert response.status_code == 200
    data = json_script(html, "figures-data")
    assert [c["id"] for c in data["charts"]] == [
        "chart-par-annee",
        "chart-historique",
        "chart-par-voie",
        "chart-par-cqpi",
        "chart-par-branche",
    ]
    assert data["charts"][0]["title"] == "Décisions du jury par année"
    for chart in data["charts"]:
        assert f'<canvas id="{chart["id"]}"' in html
    rows = response.context["tables"][0].rows
    assert indicator(rows, "Part des délivrances par la VAE (%)") == 33.3
    assert "33,3" in html  # French decimal comma
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "<script>" not in html and "onclick" not in html  # CSP: no inline script


def test_staff_see_only_their_branch(client: Any, cast: Any, dataset: Any) -> None:
    response = as_client(client, cast.staff_b).get(PAGE)
    html = response.content.decode()
    assert "Branche Bêta" in html and "Branche Alpha" not in html
    assert indicator(response.context["tables"][0].rows, "Délivrances totales") == 2


def test_the_branch_filter_changes_the_figures(client: Any, cast: Any, dataset: Any) -> None:
    client = as_client(client, cast.coc_observer)
    national = client.get(PAGE).context["tables"][0].rows
    alpha = client.get(PAGE, {"branch": dataset.branch_a.pk}).context["tables"][0].rows
    assert indicator(national, "Délivrances totales") == 11
    assert indicator(alpha, "Délivrances totales") == 9


def test_a_reversed_period_is_a_form_error_and_shows_no_figures(client: Any, cast: Any) -> None:
    response = as_client(client, cast.coc_observer).get(PAGE, {"year_from": 2025, "year_to": 2024})
    assert response.status_code == 400
    assert "L&#x27;année de fin précède l&#x27;année de début." in response.content.decode()
    assert response.context["figures_html"] is None
    assert 'name="year_from" value="2025"' in response.content.decode()  # the input is kept


def test_the_page_costs_the_same_queries_whatever_the_data(client: Any, cast: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from figures.selectors import figures_invalidate
    from tests.figures.dataset import build_dataset

    client = as_client(client, cast.coc_observer)
    with CaptureQueriesContext(connection) as empty:
        client.get(PAGE)
    build_dataset(cast)
    # The figures are computed again (not the session, which stays in the cache).
    figures_invalidate()
    with CaptureQueriesContext(connection) as full:
        assert client.get(PAGE).status_code == 200
    assert len(full) == len(empty) <= 16


def shown(html: str, label: str) -> str:
    """An indicator's value as the page's first table shows it."""
    found = re.search(
        rf'<th scope="row">{re.escape(label)}</th>\s*<td class="figures-number">([^<]*)</td>', html
    )
    assert found, label
    return found.group(1)


def figures_part(html: str) -> str:
    """The charts' data, tables and export links (the page around them has per-request tokens)."""
    return html[html.index('<script id="figures-data"') : html.index("</main>")]


def test_the_rendered_figures_are_reused_until_a_decision_is_recorded(
    client: Any, cast: Any, dataset: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.workflow import award

    client = as_client(client, cast.coc_observer)
    first = client.get(PAGE)
    assert shown(first.content.decode(), "Délivrances totales") == "11"
    with CaptureQueriesContext(connection) as again:
        second = client.get(PAGE)
    # Served from the cache: the same figures, no figure query, no template for the tables.
    assert figures_part(second.content.decode()) == figures_part(first.content.decode())
    assert not any("evaluations_decision" in q["sql"] for q in again.captured_queries)
    assert "figures/_figures.html" not in [t.name for t in second.templates]

    award(cast)
    third = client.get(PAGE).content.decode()
    assert shown(third, "Délivrances totales") == "12"


def test_the_export_links_carry_only_the_valid_filters_in_a_fixed_order(
    client: Any, cast: Any, dataset: Any
) -> None:
    html = (
        as_client(client, cast.coc_observer)
        .get(PAGE, {"cqpi": "", "branch": dataset.branch_a.pk, "year_from": "02023", "x": "y"})
        .content.decode()
    )
    csv_link = (
        export_url("indicateurs", "csv") + f"?year_from=2023&amp;branch={dataset.branch_a.pk}"
    )
    assert f'href="{csv_link}"' in html


# --- Exports ------------------------------------------------------------------------


def test_the_csv_export_carries_the_same_numbers_for_french_excel(
    client: Any, cast: Any, dataset: Any
) -> None:
    response = as_client(client, cast.coc_observer).get(
        export_url("indicateurs", "csv"), {"branch": dataset.branch_a.pk}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == ["Indicateur", "Valeur"]
    assert indicator(rows, "Délivrances totales") == "9"
    assert indicator(rows, "Part des délivrances par la VAE (%)") == "33,3"
    assert indicator(rows, "Taux de refus (%)") == "16,7"
    assert (
        indicator(rows, "Délai médian de l'ouverture du dossier à la délivrance (jours)") == "200"
    )


def test_every_table_exports_as_csv_and_xlsx_with_the_page_rows(
    client: Any, cast: Any, dataset: Any
) -> None:
    client = as_client(client, cast.coc_observer)
    tables = client.get(PAGE).context["tables"]
    for table in tables:
        csv_rows = read_csv(client.get(export_url(table.slug, "csv")))
        assert len(csv_rows) == len(table.rows) + 1
        workbook = load_workbook(io.BytesIO(client.get(export_url(table.slug, "xlsx")).content))
        sheet_rows = [list(r) for r in workbook.active.iter_rows(values_only=True)]
        assert sheet_rows == [table.columns, *table.rows]


def test_an_unknown_table_or_format_is_not_found(client: Any, cast: Any) -> None:
    client = as_client(client, cast.coc_observer)
    assert client.get(export_url("personnes", "csv")).status_code == 404
    assert client.get(export_url("indicateurs", "pdf")).status_code == 404


def test_a_name_starting_like_a_formula_is_exported_as_text() -> None:
    table = Table("t", "T", ["Nom"], [["=1+1"]])
    assert table_csv(table).decode("utf-8").splitlines()[1] == "'=1+1"
    sheet = load_workbook(io.BytesIO(table_xlsx(table))).active
    assert sheet["A2"].data_type == "s"


# --- API ------------------------------------------------------------------------------


def test_the_api_returns_the_same_figures_as_the_page(client: Any, cast: Any, dataset: Any) -> None:
    response = as_client(client, cast.coc_observer).get(api_url(), {"branch": dataset.branch_a.pk})
    assert response.status_code == 200
    body = response.json()
    expected = compute_figures(FigureFilters(branch_ids=(dataset.branch_a.pk,)))
    assert body["totals"] == json.loads(json.dumps(expected["totals"]))
    assert body["totals"]["vae_share"] == 33.3
    assert body["filters"]["branch_ids"] == [dataset.branch_a.pk]


def test_the_api_scopes_staff_to_their_branch(client: Any, cast: Any, dataset: Any) -> None:
    body = as_client(client, cast.staff_b).get(api_url()).json()
    assert [row["branch"] for row in body["by_branch"]] == ["Branche Bêta"]
    assert body["totals"]["awards"] == 2


def test_the_api_reports_bad_filters(client: Any, cast: Any) -> None:
    response = as_client(client, cast.coc_observer).get(api_url(), {"year_from": "hier"})
    assert response.status_code == 400
    assert "year_from" in response.json()["error"]["fields"]


def test_the_cached_figures_keep_each_address_export_links(
    client: Any, cast: Any, dataset: Any
) -> None:
    # The staff's own scope and an observer's branch filter give the same figures: the
    # observer's export links must still carry the branch they asked for.
    as_client(client, cast.staff_a).get(PAGE)
    html = as_client(client, cast.coc_observer).get(PAGE, {"branch": cast.branch_a.pk})
    csv_link = export_url("indicateurs", "csv") + f"?branch={cast.branch_a.pk}"
    assert f'href="{csv_link}"' in html.content.decode()


def test_revoked_documents_have_their_own_column_in_the_page_and_exports(
    client: Any, cast: Any, dataset: Any
) -> None:
    from tests.figures.dataset import add_documents

    add_documents(cast)
    client = as_client(client, cast.coc_observer)
    response = client.get(PAGE, {"branch": dataset.branch_a.pk})
    tables = {table.slug: table for table in response.context["tables"]}
    assert indicator(tables["indicateurs"].rows, "Délivrances totales") == 8
    assert indicator(tables["indicateurs"].rows, "Certificats et attestations révoqués") == 2
    by_year = tables["par-annee"]
    assert by_year.columns == [
        "Année",
        "Délivrances totales",
        "Validations partielles",
        "Refus",
        "Révoqués",
        "Décisions",
    ]
    assert by_year.rows == [[2023, 1, 0, 0, 0, 1], [2024, 7, 0, 2, 2, 11]]
    rows = read_csv(client.get(export_url("par-annee", "csv"), {"branch": dataset.branch_a.pk}))
    assert rows[2] == ["2024", "7", "0", "2", "2", "11"]
    charts = json_script(response.content.decode(), "figures-data")["charts"]
    assert [d["label"] for d in charts[0]["datasets"]][-1] == "Révoqués"


def test_an_export_names_its_filters_in_its_file_name(client: Any, cast: Any, dataset: Any) -> None:
    observer = as_client(client, cast.coc_observer)
    filtered = observer.get(
        export_url("indicateurs", "csv"),
        {"branch": dataset.branch_a.pk, "year_from": 2024, "year_to": 2025},
    )
    whole = observer.get(export_url("indicateurs", "xlsx"))

    code = dataset.branch_a.code
    assert f"-indicateurs-{code}-2024-2025-" in filtered["Content-Disposition"]
    assert "-indicateurs-toutes-branches-" in whole["Content-Disposition"]
