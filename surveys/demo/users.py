"""Demo logins, one per role. Only ever created when DEBUG is on."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from surveys.models import Agent
from surveys.roles import AGENTS, DESIGNERS, MANAGERS

# username (also the password), group, staff
LOGINS = [
    ("admin", None, True),
    ("designer", DESIGNERS, True),
    ("manager", MANAGERS, True),
    ("agent", AGENTS, False),
]


def demo_logins_create(*, agent: Agent) -> list[tuple[str, bool]]:
    """Create the four demo logins; link ``agent`` to the "agent" login.

    An existing user of that name is put in its group but keeps its password. Returns
    ``(username, created)`` pairs.
    """
    User = get_user_model()
    result = []
    for username, group, staff in LOGINS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.com", "is_staff": staff, "is_superuser": group is None},
        )
        if created:
            user.set_password(username)
            user.save(update_fields=["password"])
        if group:
            user.groups.add(Group.objects.get(name=group))
        result.append((username, created))
        if username == "agent" and not Agent.objects.filter(user=user).exists():
            agent.user = user
            agent.save(update_fields=["user"])
    return result
