"""Month rows for the day rollups (surveys/reports/rollups_months.py): TicketTimeDay gains the
grain column the other rollups have (0: a day, grains.MONTH: a month). No month row exists
yet, so the rollups are marked unbuilt: the reports read the source rows until the next
refresh rebuilds everything, month rows included."""

from django.db import migrations, models


def rebuild(apps, schema_editor):
    apps.get_model("surveys", "RollupState").objects.update(built_at=None, watermark=None)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0021_followup_facts_everywhere")]

    operations = [
        migrations.RemoveIndex(model_name="tickettimeday", name="tickettimeday_day_idx"),
        migrations.AddField(
            model_name="tickettimeday", name="grain", field=models.PositiveSmallIntegerField(default=0)
        ),
        migrations.AddIndex(
            model_name="tickettimeday",
            index=models.Index(fields=["grain", "day", "measure"], name="tickettimeday_grain_day_idx"),
        ),
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
