"""Each contact's latest conversation, kept by PostgreSQL triggers, and the contact list's
two keyset orders.

Triggers rather than the services: conversations are linked to contacts by logging, moved
by a merge (an UPDATE of the link rows), unlinked by a deletion (the admin's included) and
loaded by COPY for the benchmark; a trigger sees every one of them. They are statement
triggers over transition tables, so a COPY of two million links updates each contact once
per statement instead of once per link.
"""

from django.db import migrations, models

# The latest conversation of every contact named in `touched` (a query of contact ids).
RECOMPUTE = """
    UPDATE prospects_contact AS c
       SET last_conversation_at = (
           SELECT max(v.occurred_at)
             FROM prospects_conversation_contacts AS l
             JOIN prospects_conversation AS v ON v.id = l.conversation_id
            WHERE l.contact_id = c.id)
     WHERE c.id IN ({touched})
       AND c.last_conversation_at IS DISTINCT FROM (
           SELECT max(v.occurred_at)
             FROM prospects_conversation_contacts AS l
             JOIN prospects_conversation AS v ON v.id = l.conversation_id
            WHERE l.contact_id = c.id);
"""

FORWARD = f"""
CREATE FUNCTION prospects_contact_talk_linked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A new link can only move the latest conversation later.
    UPDATE prospects_contact AS c
       SET last_conversation_at = latest.at
      FROM (SELECT l.contact_id, max(v.occurred_at) AS at
              FROM new_links AS l
              JOIN prospects_conversation AS v ON v.id = l.conversation_id
             GROUP BY l.contact_id) AS latest
     WHERE c.id = latest.contact_id
       AND (c.last_conversation_at IS NULL OR c.last_conversation_at < latest.at);
    RETURN NULL;
END $$;

CREATE FUNCTION prospects_contact_talk_unlinked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {RECOMPUTE.format(touched="SELECT contact_id FROM old_links")}
    RETURN NULL;
END $$;

CREATE FUNCTION prospects_contact_talk_relinked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {RECOMPUTE.format(touched="SELECT contact_id FROM old_links UNION SELECT contact_id FROM new_links")}
    RETURN NULL;
END $$;

CREATE FUNCTION prospects_contact_talk_retimed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {RECOMPUTE.format(touched='''
        SELECT l.contact_id
          FROM prospects_conversation_contacts AS l
          JOIN new_talks AS n ON n.id = l.conversation_id
          JOIN old_talks AS o ON o.id = n.id
         WHERE n.occurred_at IS DISTINCT FROM o.occurred_at''')}
    RETURN NULL;
END $$;

CREATE TRIGGER contact_talk_linked AFTER INSERT ON prospects_conversation_contacts
    REFERENCING NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION prospects_contact_talk_linked();
CREATE TRIGGER contact_talk_unlinked AFTER DELETE ON prospects_conversation_contacts
    REFERENCING OLD TABLE AS old_links
    FOR EACH STATEMENT EXECUTE FUNCTION prospects_contact_talk_unlinked();
CREATE TRIGGER contact_talk_relinked AFTER UPDATE ON prospects_conversation_contacts
    REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION prospects_contact_talk_relinked();
CREATE TRIGGER contact_talk_retimed AFTER UPDATE ON prospects_conversation
    REFERENCING OLD TABLE AS old_talks NEW TABLE AS new_talks
    FOR EACH STATEMENT EXECUTE FUNCTION prospects_contact_talk_retimed();

-- What is there already.
UPDATE prospects_contact AS c
   SET last_conversation_at = latest.at
  FROM (SELECT l.contact_id, max(v.occurred_at) AS at
          FROM prospects_conversation_contacts AS l
          JOIN prospects_conversation AS v ON v.id = l.conversation_id
         GROUP BY l.contact_id) AS latest
 WHERE c.id = latest.contact_id;
"""

BACKWARD = """
DROP TRIGGER contact_talk_linked ON prospects_conversation_contacts;
DROP TRIGGER contact_talk_unlinked ON prospects_conversation_contacts;
DROP TRIGGER contact_talk_relinked ON prospects_conversation_contacts;
DROP TRIGGER contact_talk_retimed ON prospects_conversation;
DROP FUNCTION prospects_contact_talk_linked();
DROP FUNCTION prospects_contact_talk_unlinked();
DROP FUNCTION prospects_contact_talk_relinked();
DROP FUNCTION prospects_contact_talk_retimed();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("prospects", "0014_import_mappings"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="last_conversation_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["name", "id"], name="contact_list_order"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                models.OrderBy(models.F("last_conversation_at"), descending=True, nulls_last=True),
                models.OrderBy(models.F("id"), descending=True),
                name="contact_last_talk_order",
            ),
        ),
    ]
