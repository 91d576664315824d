"""Field-level audit history: who changed which field of a record, from what to what, when,
and through which door (docs/audit.md). PostgreSQL triggers (django-pghistory) record every
write; context.py attaches the user and the door; selectors.py reads it back as lines."""
