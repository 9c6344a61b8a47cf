from django.db import migrations, models


class Migration(migrations.Migration):
    """Sums of squares in the day rollups (the Welch tests of a change in a mean read them
    instead of every source row). Rows built before have none: the rollups are marked unbuilt,
    so reports read the source rows until the next refresh rebuilds them all."""

    dependencies = [
        ("surveys", "0015_outbound_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketday",
            name="frt_sq",
            field=models.FloatField(default=0),
        ),
        migrations.AddField(
            model_name="ticketday",
            name="res_sq",
            field=models.FloatField(default=0),
        ),
        migrations.AddField(
            model_name="responseday",
            name="ces_sq",
            field=models.FloatField(default=0),
        ),
        migrations.RunSQL(
            "UPDATE surveys_rollupstate SET built_at = NULL, watermark = NULL",
            migrations.RunSQL.noop,
        ),
    ]
