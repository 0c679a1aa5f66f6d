"""The load generator's COPY kit: a column the database requires and nobody writes is named."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
from django.test.utils import isolate_apps

from sampledata.copier import Table, table_problems, unfilled_columns

# The columns a generator writes for the models below.
WRITTEN = ("id", "result_id", "mark")


def mark_model(**extra: models.Field[Any, Any]) -> type[models.Model]:
    """A mark table as a generator knows it, plus the columns `extra` added since."""
    attrs: dict[str, Any] = {
        "__module__": __name__,
        "Meta": type("Meta", (), {"app_label": "sampledata"}),
        "result_id": models.BigIntegerField(),
        "mark": models.PositiveSmallIntegerField(),
        **extra,
    }
    return type("Mark", (models.Model,), attrs)


@isolate_apps("sampledata")
def test_a_new_not_null_column_without_a_default_is_named_with_its_model() -> None:
    model = mark_model(reviewed_by=models.CharField(max_length=100))
    assert unfilled_columns(model, WRITTEN) == ["reviewed_by"]
    [problem] = table_problems({model: WRITTEN})
    assert problem.startswith("sampledata.Mark.reviewed_by: the column is NOT NULL")


@isolate_apps("sampledata")
def test_a_foreign_key_is_named_by_its_column() -> None:
    model = mark_model(reviewer=models.ForeignKey("sampledata.Mark", on_delete=models.PROTECT))
    assert unfilled_columns(model, WRITTEN) == ["reviewer_id"]


@pytest.mark.parametrize(
    "column",
    [
        models.CharField(max_length=100, null=True),
        models.CharField(max_length=100, default=""),
        models.DateTimeField(db_default=models.functions.Now()),
    ],
    ids=["nullable", "python default", "database default"],
)
@isolate_apps("sampledata")
def test_a_new_column_that_can_stay_unwritten_is_not_a_problem(column: models.Field) -> None:
    model = mark_model(reviewed_by=column)
    assert table_problems({model: WRITTEN}) == []


@isolate_apps("sampledata")
def test_a_column_written_but_gone_from_the_model_is_named() -> None:
    model = mark_model()
    [problem] = table_problems({model: (*WRITTEN, "weight")})
    assert problem.startswith("sampledata.Mark.weight: the load generator writes this column")


@isolate_apps("sampledata")
def test_a_row_gives_the_declared_columns_then_the_python_defaults() -> None:
    model = mark_model(
        comment=models.CharField(max_length=100, default="à revoir"),
        note=models.CharField(max_length=100, null=True),
        stamp=models.DateTimeField(db_default=models.functions.Now()),
    )
    table = Table(model, WRITTEN)
    # Nullable and database-defaulted columns are left to the database.
    assert table.copy_columns == ("id", "result_id", "mark", "comment")
    assert table.row({"mark": 3, "id": 1, "result_id": 2}) == (1, 2, 3, "à revoir")


@isolate_apps("sampledata")
def test_a_row_missing_a_declared_column_or_giving_another_is_refused() -> None:
    table = Table(mark_model(), WRITTEN)
    with pytest.raises(ValueError, match=r"missing \['mark'\]"):
        table.row({"id": 1, "result_id": 2})
    with pytest.raises(ValueError, match=r"not declared \['weight'\]"):
        table.row({"id": 1, "result_id": 2, "mark": 3, "weight": 4})
    with pytest.raises(ValueError, match=r"missing \['mark'\], not declared \['weight'\]"):
        table.row({"id": 1, "result_id": 2, "weight": 4})
