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
