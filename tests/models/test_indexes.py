"""Every index is one more write per row (docs/design.md, "Indexes"): none that another makes
needless."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import UniqueConstraint


def _leading_fields(model) -> set[str]:
    """Fields some full (not partial) index or unique constraint of the model starts with."""
    leading = {index.fields[0].lstrip("-") for index in model._meta.indexes if index.condition is None and index.fields}
    leading |= {
        constraint.fields[0]
        for constraint in model._meta.constraints
        if isinstance(constraint, UniqueConstraint) and constraint.condition is None and constraint.fields
    }
    return leading


def test_no_foreign_key_has_an_index_that_another_index_leads_with():
    needless = [
        f"{model.__name__}.{field.name}"
        for model in apps.get_app_config("surveys").get_models()
        for field in model._meta.fields
        if field.many_to_one and field.db_index and field.name in _leading_fields(model)
    ]
    assert needless == []


def test_the_rule_sees_an_index_that_leads_with_a_foreign_key():
    from surveys.models import Answer, Invitation, Ticket

    assert {"customer", "agent", "team"} <= _leading_fields(Ticket)
    assert {"campaign", "customer", "token"} <= _leading_fields(Invitation)
    assert {"response", "question"} <= _leading_fields(Answer)


@pytest.mark.django_db
def test_an_invitation_token_has_one_index_the_unique_one():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "surveys_invitation")
    on_token = [c for c in constraints.values() if c["columns"] == ["token"] and (c["index"] or c["unique"])]
    assert len(on_token) == 1 and on_token[0]["unique"]  # no second index for LIKE searches (PostgreSQL)
