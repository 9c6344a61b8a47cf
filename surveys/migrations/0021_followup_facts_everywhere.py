"""FollowUpFact is now written on every database, not PostgreSQL only (the follow-up figures
read it on SQLite too): elsewhere the rollups are marked unbuilt, so the reports read the
source rows until the next refresh rebuilds them all, facts included."""

from django.db import migrations


def rebuild_unless_postgres(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        apps.get_model("surveys", "RollupState").objects.update(built_at=None, watermark=None)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0020_invitation_facts_everywhere")]

    operations = [migrations.RunPython(rebuild_unless_postgres, migrations.RunPython.noop)]
