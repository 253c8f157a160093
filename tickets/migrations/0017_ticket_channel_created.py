from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0016_history_filters_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["channel", "created_at"], name="ticket_channel_created"),
        ),
    ]
