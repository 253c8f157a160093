"""The spec's default hours (R-METHODS, R-LANG-HOURS, R-ENT-HOURS), as editable rows.

Only channels and languages without any rows get the defaults, so running it on a
database where operations already set hours changes nothing.
"""

from django.db import migrations

from routing.hours import DEFAULT_CHANNEL_HOURS, DEFAULT_LANGUAGE_HOURS


def create_default_hours(apps, schema_editor):
    ServiceWindow = apps.get_model("routing", "ServiceWindow")
    LanguageWindow = apps.get_model("routing", "LanguageWindow")
    for (channel, team), windows in DEFAULT_CHANNEL_HOURS.items():
        if not ServiceWindow.objects.filter(channel=channel, team=team).exists():
            ServiceWindow.objects.bulk_create(
                ServiceWindow(
                    channel=channel,
                    team=team,
                    weekday=window.weekday,
                    opens=window.opens,
                    closes=window.closes,
                    time_zone=window.zone.key,
                )
                for window in windows
            )
    for language, windows in DEFAULT_LANGUAGE_HOURS.items():
        if not LanguageWindow.objects.filter(language=language).exists():
            LanguageWindow.objects.bulk_create(
                LanguageWindow(
                    language=language,
                    weekday=window.weekday,
                    opens=window.opens,
                    closes=window.closes,
                    time_zone=window.zone.key,
                )
                for window in windows
            )


class Migration(migrations.Migration):

    dependencies = [
        ("routing", "0002_agent_languagewindow_servicewindow_agentshift"),
    ]

    operations = [
        migrations.RunPython(create_default_hours, migrations.RunPython.noop),
    ]
