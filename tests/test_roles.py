"""The staff groups exist after migrating, each with exactly the permissions of its role."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from surveys.roles import AGENTS, DESIGNERS, MANAGERS, codenames

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _migrated_roles():
    # A transactional test elsewhere may have flushed the tables the migration filled; run the
    # migration's own forward function again, which is what is under test here.
    importlib.import_module("surveys.migrations.0002_roles").apply_roles(apps, None)


def perms(name: str) -> set[str]:
    return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))


def test_migration_creates_the_three_groups_with_their_permissions():
    for role in (DESIGNERS, MANAGERS, AGENTS):
        assert perms(role) == codenames(role)


def test_designers_design_but_do_not_read_customer_answers():
    granted = perms(DESIGNERS)
    assert {"add_questionnaire", "change_question", "add_campaign", "change_slapolicy"} <= granted
    assert not {"view_response", "view_customer", "view_reports", "export_data"} & granted


def test_managers_read_everything_and_change_only_their_own_objects():
    granted = perms(MANAGERS)
    assert {"view_reports", "export_data", "change_followup", "add_target", "add_alertrule"} <= granted
    assert {"view_response", "view_ticket", "view_campaign"} <= granted
    assert not {"add_campaign", "change_questionnaire", "change_response", "delete_ticket"} & granted


def test_agents_only_see_their_own_figures():
    assert perms(AGENTS) == {"view_own_reports"}


def test_persona_fixtures_hold_their_permissions(designer, manager, agent_user, outsider):
    assert designer.has_perm("surveys.add_questionnaire")
    assert manager.has_perm("surveys.view_reports") and not manager.has_perm("surveys.add_campaign")
    assert agent_user.has_perm("surveys.view_own_reports") and not agent_user.is_staff
    assert not outsider.get_all_permissions()
