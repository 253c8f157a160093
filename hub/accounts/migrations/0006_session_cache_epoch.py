from django.db import migrations, models


def create_the_row(apps, schema_editor):
    apps.get_model("hub", "SessionCacheEpoch").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("hub", "0005_languages_eight"),
    ]

    operations = [
        migrations.CreateModel(
            name="SessionCacheEpoch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_the_row, migrations.RunPython.noop),
    ]
