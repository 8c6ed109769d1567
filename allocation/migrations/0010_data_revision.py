import secrets

from django.db import migrations, models


def make_row(apps, schema_editor):
    apps.get_model("allocation", "DataRevision").objects.using(
        schema_editor.connection.alias
    ).get_or_create(id=1, defaults={"token": secrets.token_hex(8), "number": 0})


def install(apps, schema_editor):
    from allocation import revision

    revision.install_triggers(using=schema_editor.connection.alias)


def drop(apps, schema_editor):
    from allocation import revision

    revision.drop_triggers(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("allocation", "0009_merge_open_share_and_method_rename"),
        ("clusters", "0001_initial"),
        ("municipalities", "0005_merge_projection_and_batch_changes"),
        ("practices", "0005_history"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataRevision",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("token", models.CharField(help_text="drawn when the row is made", max_length=32)),
                ("number", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(make_row, migrations.RunPython.noop),
        migrations.RunPython(install, drop),
    ]
