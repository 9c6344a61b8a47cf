"""Create the staff groups with their permissions (see surveys/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def apply_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make sure they exist now.
    app_config = apps.get_app_config("surveys")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    from surveys.roles import roles_apply

    roles_apply(group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"))


def remove_roles(apps, schema_editor):
    from surveys.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(apply_roles, remove_roles)]
