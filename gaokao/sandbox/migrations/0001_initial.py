"""The sandbox gateway's trades, moved out of gaokao.payments (issue 18). The table keeps
the name the payments app gave it: this migration changes Django's state only."""

from django.db import migrations, models


def rename_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="sandbox", model="sandboxtrade").exists():
        ContentType.objects.filter(app_label="payments", model="sandboxtrade").update(
            app_label="sandbox"
        )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('payments', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SandboxTrade',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('channel', models.CharField(choices=[('wechat', 'WeChat Pay'), ('alipay', 'Alipay'), ('unionpay', 'UnionPay')], max_length=10)),
                        ('merchant_id', models.CharField(max_length=32)),
                        ('out_trade_no', models.CharField(max_length=64)),
                        ('amount_fen', models.PositiveIntegerField()),
                        ('description', models.CharField(blank=True, max_length=128)),
                        ('notify_url', models.URLField(max_length=500)),
                        ('return_url', models.URLField(blank=True, max_length=500)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('order_time', models.CharField(blank=True, max_length=20)),
                        ('expires_at', models.DateTimeField(blank=True, null=True)),
                        ('state', models.CharField(choices=[('open', 'Open'), ('paid', 'Paid'), ('failed', 'Failed'), ('closed', 'Closed')], default='open', max_length=8)),
                        ('transaction_id', models.CharField(blank=True, max_length=64)),
                        ('paid_at', models.DateTimeField(blank=True, null=True)),
                        ('request', models.JSONField(blank=True, default=dict)),
                        ('held', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'payments_sandboxtrade',
                        'constraints': [models.UniqueConstraint(fields=('channel', 'out_trade_no'), name='sandbox_trade_unique')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_type, migrations.RunPython.noop),
    ]
