"""The user's email preferences (User.emails_muted), and the time zone and those preferences
under audit. The events recorded before hold no time zone: each is given the user's present
one, so the history shows no change that nobody made (the old value is unknown, not the
default)."""

import django.contrib.postgres.fields
import pgtrigger.compiler
import pgtrigger.migrations
import salesflow.core.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0011_saved_views"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name="user",
            name="created_insert",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="user",
            name="changed_update",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="user",
            name="deleted_delete",
        ),
        migrations.AddField(
            model_name="user",
            name="emails_muted",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=24),
                blank=True,
                default=list,
                size=None,
                verbose_name="emails off",
            ),
        ),
        migrations.AddField(
            model_name="useraudit",
            name="emails_muted",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=24),
                blank=True,
                default=list,
                size=None,
                verbose_name="emails off",
            ),
        ),
        migrations.AddField(
            model_name="useraudit",
            name="time_zone",
            field=models.CharField(
                default=salesflow.core.models.default_time_zone,
                max_length=64,
                validators=[salesflow.core.models.validate_time_zone],
            ),
        ),
        migrations.RunSQL(
            "UPDATE core_useraudit SET time_zone = u.time_zone FROM core_user u"
            " WHERE core_useraudit.pgh_obj_id = u.id",
            migrations.RunSQL.noop,
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="user",
            trigger=pgtrigger.compiler.Trigger(
                name="created_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "core_useraudit" ("email", "emails_muted", "first_name", "is_active", "is_staff", "is_superuser", "last_name", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "role", "team_id", "time_zone", "username") VALUES (NEW."email", NEW."emails_muted", NEW."first_name", NEW."is_active", NEW."is_staff", NEW."is_superuser", NEW."last_name", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, CLOCK_TIMESTAMP(), \'created\', NEW."id", NEW."role", NEW."team_id", NEW."time_zone", NEW."username"); RETURN NULL;',
                    hash="60323267992f90fce2aad9836e5db1e4a41cd3db",
                    operation="INSERT",
                    pgid="pgtrigger_created_insert_6b102",
                    table="core_user",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="user",
            trigger=pgtrigger.compiler.Trigger(
                name="changed_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."email" IS DISTINCT FROM (NEW."email") OR OLD."emails_muted" IS DISTINCT FROM (NEW."emails_muted") OR OLD."first_name" IS DISTINCT FROM (NEW."first_name") OR OLD."is_active" IS DISTINCT FROM (NEW."is_active") OR OLD."is_staff" IS DISTINCT FROM (NEW."is_staff") OR OLD."is_superuser" IS DISTINCT FROM (NEW."is_superuser") OR OLD."last_name" IS DISTINCT FROM (NEW."last_name") OR OLD."role" IS DISTINCT FROM (NEW."role") OR OLD."team_id" IS DISTINCT FROM (NEW."team_id") OR OLD."time_zone" IS DISTINCT FROM (NEW."time_zone") OR OLD."username" IS DISTINCT FROM (NEW."username"))',
                    func='INSERT INTO "core_useraudit" ("email", "emails_muted", "first_name", "is_active", "is_staff", "is_superuser", "last_name", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "role", "team_id", "time_zone", "username") VALUES (OLD."email", OLD."emails_muted", OLD."first_name", OLD."is_active", OLD."is_staff", OLD."is_superuser", OLD."last_name", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, CLOCK_TIMESTAMP(), \'changed\', OLD."id", OLD."role", OLD."team_id", OLD."time_zone", OLD."username"); RETURN NULL;',
                    hash="c6393191bc34bcd7b575398aaa300e94ed463a2e",
                    operation="UPDATE",
                    pgid="pgtrigger_changed_update_d76fd",
                    table="core_user",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="user",
            trigger=pgtrigger.compiler.Trigger(
                name="deleted_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "core_useraudit" ("email", "emails_muted", "first_name", "is_active", "is_staff", "is_superuser", "last_name", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "role", "team_id", "time_zone", "username") VALUES (OLD."email", OLD."emails_muted", OLD."first_name", OLD."is_active", OLD."is_staff", OLD."is_superuser", OLD."last_name", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, CLOCK_TIMESTAMP(), \'deleted\', OLD."id", OLD."role", OLD."team_id", OLD."time_zone", OLD."username"); RETURN NULL;',
                    hash="61d09dd4a6567e0a08044ef237d86c47a13b12f2",
                    operation="DELETE",
                    pgid="pgtrigger_deleted_delete_79beb",
                    table="core_user",
                    when="AFTER",
                ),
            ),
        ),
    ]
