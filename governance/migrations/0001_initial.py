# Erasure, moved here from aidcase (F8): the model takes over the table aidcase.0003_erasure
# made, in the migration state only, so that no row is lost.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('aidcase', '0003_erasure'),
        ('students', '0004_student_left_on_archived_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Erasure',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='时间')),
                        ('user_label', models.CharField(max_length=80, verbose_name='操作人')),
                        ('reference', models.CharField(max_length=20, unique=True, verbose_name='删除编号')),
                        ('reason', models.TextField(verbose_name='删除依据')),
                        ('counts', models.JSONField(default=dict, verbose_name='删除的记录')),
                        ('school', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='students.school', verbose_name='学校')),
                        ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                    ],
                    options={
                        'verbose_name': '删除记录',
                        'verbose_name_plural': '删除记录',
                        'db_table': 'aidcase_erasure',
                        'ordering': ['-at', '-pk'],
                        'indexes': [models.Index(fields=['school', '-at'], name='aidcase_era_school__505c73_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
