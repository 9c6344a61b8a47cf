"""The non-response check's day rollup counts each side's resolution times per report time
bucket (<= 1 h ... > 3 d), so a side's median walk starts at the bucket that holds its middle
rank (surveys/reports/nonresponse.py). The existing rows have no counts yet, so the rollups are
marked unbuilt: the reports read the source rows until the next refresh rebuilds everything."""

from django.db import migrations, models


def rebuild(apps, schema_editor):
    apps.get_model("surveys", "RollupState").objects.update(built_at=None, watermark=None)


class Migration(migrations.Migration):

    dependencies = [
        ('surveys', '0023_answer_comment_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='nonresponseday',
            name='res_d1',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='nonresponseday',
            name='res_d3',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='nonresponseday',
            name='res_h1',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='nonresponseday',
            name='res_h4',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='nonresponseday',
            name='res_more',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
