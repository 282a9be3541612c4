# Erasure moved to the governance app (F8). Its table, aidcase_erasure, stays where it is and
# keeps its rows: governance.0001_initial takes the model over in the migration state only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('aidcase', '0005_access_log_id_export'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='Erasure'),
            ],
            database_operations=[],
        ),
    ]
