"""The three staff roles and their permissions, applied by a data migration.

Each entry maps a group to ``{model: actions}`` plus extra permission codenames.
"""

ALL = ("add", "change", "delete", "view")
VIEW = ("view",)

DESIGNERS = "Survey designers"
MANAGERS = "Managers"
AGENTS = "Agents"

ROLES: dict[str, dict] = {
    DESIGNERS: {
        "models": {
            "questionnaire": ALL,
            "question": ALL,
            "campaign": ALL,
            "slapolicy": ALL,
            "team": VIEW,
            "agent": VIEW,
        },
        "extra": [],
    },
    MANAGERS: {
        "models": {
            "followup": ALL,
            "target": ALL,
            "improvementaction": ALL,
            "alertrule": ALL,
            "questionnaire": VIEW,
            "question": VIEW,
            "campaign": VIEW,
            "slapolicy": VIEW,
            "team": VIEW,
            "agent": VIEW,
            "customer": VIEW,
            "ticket": VIEW,
            "ticketevent": VIEW,
            "invitation": VIEW,
            "response": VIEW,
            "answer": VIEW,
        },
        "extra": ["view_reports", "export_data"],
    },
    AGENTS: {"models": {}, "extra": ["view_own_reports"]},
}


def codenames(role: str) -> set[str]:
    spec = ROLES[role]
    names = {f"{action}_{model}" for model, actions in spec["models"].items() for action in actions}
    return names | set(spec["extra"])


def roles_apply(*, group_model, permission_model) -> None:
    """Create or refresh the groups with exactly their role's permissions (idempotent).

    Takes the models as arguments so the data migration can pass its historical models.
    The surveys permissions must already exist.
    """
    for name in ROLES:
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = codenames(name)
        perms = list(permission_model.objects.filter(content_type__app_label="surveys", codename__in=wanted))
        missing = wanted - {p.codename for p in perms}
        if missing:
            raise RuntimeError(f"Permissions missing for {name}: {sorted(missing)}")
        group.permissions.set(perms)
