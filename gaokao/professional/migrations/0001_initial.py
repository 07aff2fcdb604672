"""The professional exams' categories and registrations, moved out of gaokao.payments
(issue 18). Their tables keep the names the payments app gave them, so this migration
changes Django's state only: no row moves, and an existing database only records it."""

import django.db.models.deletion
from django.db import migrations, models


def rename_content_types(apps, schema_editor):
    """Permissions and admin history follow the models to their new app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("category", "registration"):
        if not ContentType.objects.filter(app_label="professional", model=model).exists():
            ContentType.objects.filter(app_label="payments", model=model).update(
                app_label="professional"
            )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('candidates', '0005_school_from_the_list'),
        ('payments', '0001_initial'),
        ('seasons', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Category',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=8, verbose_name='code')),
                        ('name', models.CharField(max_length=30, verbose_name='name')),
                        ('kind', models.CharField(choices=[('art', 'Art'), ('sports', 'Sports')], max_length=8, verbose_name='kind')),
                        ('fee_fen', models.PositiveIntegerField(verbose_name='fee (fen)')),
                        ('main_items', models.JSONField(blank=True, default=list, help_text='Empty: no main item.', verbose_name='main items')),
                        ('secondary_items', models.JSONField(blank=True, default=list, help_text='Empty: no secondary item.', verbose_name='secondary items')),
                        ('tracks', models.JSONField(default=list, help_text='Codes of the tracks that may register.', verbose_name='subject tracks')),
                        ('sort_order', models.PositiveIntegerField(default=0, verbose_name='order')),
                        ('is_active', models.BooleanField(default=True, verbose_name='offered')),
                        ('season', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='categories', to='seasons.season', verbose_name='season')),
                    ],
                    options={
                        'verbose_name': 'professional exam category',
                        'verbose_name_plural': 'professional exam categories',
                        'db_table': 'payments_category',
                        'ordering': ['season', 'sort_order', 'code'],
                        'constraints': [models.UniqueConstraint(fields=('season', 'code'), name='category_unique_in_season')],
                    },
                ),
                migrations.CreateModel(
                    name='Registration',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('main_item', models.CharField(blank=True, max_length=30, verbose_name='main item')),
                        ('secondary_item', models.CharField(blank=True, max_length=30, verbose_name='secondary item')),
                        ('exam_phone', models.CharField(max_length=11, verbose_name='phone during the exams')),
                        ('status', models.CharField(choices=[('unpaid', 'Chosen, not paid'), ('paid', 'Registered (paid)'), ('lapsed', 'Not registered (unpaid at the deadline)')], default='unpaid', max_length=8, verbose_name='status')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='chosen at')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('paid_at', models.DateTimeField(blank=True, null=True, verbose_name='paid at')),
                        ('candidate', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='professional_registrations', to='candidates.candidate', verbose_name='candidate')),
                        ('category', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='registrations', to='professional.category', verbose_name='category')),
                    ],
                    options={
                        'verbose_name': 'professional exam registration',
                        'verbose_name_plural': 'professional exam registrations',
                        'db_table': 'payments_registration',
                        'ordering': ['category__sort_order', 'category__code'],
                        'constraints': [models.UniqueConstraint(fields=('candidate', 'category'), name='registration_once_per_category')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_types, migrations.RunPython.noop),
    ]
