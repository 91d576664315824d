"""How a line of the audit history reads on a page."""

from __future__ import annotations

from django import template

from salesflow.core.audit.selectors import Change

register = template.Library()


@register.filter
def field_name(label: str) -> str:
    """A field's label inside a sentence ("changed value …"): lower-case, except a word
    that is an abbreviation ("SOE template" stays as it is)."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


@register.filter
def change_verb(change: Change) -> str:
    """What the person did: created, deleted, or changed (the fields follow)."""
    if change.action == "created":
        return f"created this {field_name(change.model_label)}"
    if change.action == "deleted":
        return f"deleted this {field_name(change.model_label)}"
    return "changed"
