import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_surveys_to_facts(apps, schema_editor):
    """Facts written before this migration get their case's survey (one UPDATE)."""
    CaseFact = apps.get_model("metrics", "CaseFact")
    Survey = apps.get_model("metrics", "Survey")
    survey = Survey.objects.filter(case_id=OuterRef("case_id"))
    CaseFact.objects.filter(case_id__in=Survey.objects.values("case_id")).update(
        csat_sent_at=Subquery(survey.values("sent_at")[:1]), csat_score=Subquery(survey.values("score")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The assignee column stays as it is (bigint assignee_id, no constraint); only Django's view
        # of it becomes a relation, so CSAT by agent can name the agent in the same query.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="casefact", name="metrics_fact_assignee_idx"),
                migrations.RemoveField(model_name="casefact", name="assignee_id"),
                migrations.AddField(
                    model_name="casefact",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AddIndex(
                    model_name="casefact",
                    index=models.Index(fields=["assignee", "received_at"], name="metrics_fact_assignee_idx"),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="casefact",
            name="csat_score",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="casefact",
            name="csat_sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="casefact",
            index=models.Index(
                condition=models.Q(("csat_sent_at__isnull", False)),
                fields=["csat_sent_at"],
                name="metrics_fact_csat_idx",
            ),
        ),
        migrations.RunPython(copy_surveys_to_facts, migrations.RunPython.noop),
    ]
