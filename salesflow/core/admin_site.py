"""salesflow's admin site: Django's, plus columns that no admin page may show, filter,
search or order by.

Some columns are kept for the product's own use only — who wrote an item of a review, who
cast a vote, the hash of a calendar feed's key — and the admin must not become the way
round that. An app declares them with `private_column(Model, "field")` (the reviews' and
the pipeline's admin.py do). This site then puts
`PrivateColumnGuard` in front of every model admin registered on it, Django's own and
third-party ones included, so a lookup in the address whose path goes through a private
column is refused whichever admin it is sent to and however it is spelled: `?author=3`,
`?author_id__in=3,4`, `?author__username__startswith=a`, `?group__items__author=3` or, from
the other side of the relation, `?items__author__isnull=false`. And a system check refuses
an admin that would list, filter, search, order by or show one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.db.models.fields.reverse_related import ForeignObjectRel

_PRIVATE: set[models.Field] = set()


def private_column(model: type[models.Model], name: str) -> None:
    """Declare `model.name` private: no admin may reveal it or filter by it."""
    _PRIVATE.add(model._meta.get_field(name))


def path_reaches_private_column(model: type[models.Model], path: str) -> bool:
    """Whether a lookup path such as `group__items__author_id__in`, read from `model`, goes
    through a private column, in either direction. It walks the path the way the ORM does:
    field names (attnames like `author_id` and `pk` included) and reverse relations, until
    a part is not a field (a transform or lookup: `exact`, `in`, `isnull`, `startswith`…)."""
    opts = model._meta
    for part in path.split(LOOKUP_SEP):
        try:
            field = opts.get_field(opts.pk.name if part == "pk" else part)
        except FieldDoesNotExist:
            return False
        # A reverse relation (a user's items, seen from the user) is the same column.
        column = field.field if isinstance(field, ForeignObjectRel) else field
        if column in _PRIVATE:
            return True
        if not getattr(field, "path_infos", None):
            return False  # not a relation: what follows can only be transforms
        opts = field.path_infos[-1].to_opts
    return False


class PrivateColumnGuard:
    """Put in front of every model admin by SalesflowAdminSite."""

    def lookup_allowed(self, lookup, value, request=None):  # noqa: ANN001, ANN201 - Django's
        if path_reaches_private_column(self.model, lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    def to_field_allowed(self, request, to_field):  # noqa: ANN001, ANN201 - Django's
        # A popup's `?_to_field=author` would print each row's value of that column.
        if path_reaches_private_column(self.model, to_field):
            return False
        return super().to_field_allowed(request, to_field)


class AuditHistoryAdmin:
    """The admin's "History" of an audited record: the same lines as the record's History
    tab (salesflow.core.audit), above Django's own log of what was done in the admin.
    Django's view still checks the permission and finds the record."""

    object_history_template = "admin/audit_history.html"

    def history_view(self, request, object_id, extra_context=None):  # noqa: ANN001, ANN201 - Django's
        from django.contrib.admin.utils import unquote

        from salesflow.core.audit.selectors import object_history
        from salesflow.core.audit.views import history_cursor

        obj = self.get_object(request, unquote(object_id))
        changes, next_cursor, before = [], None, None
        if obj is not None and self.has_view_or_change_permission(request, obj):
            before = history_cursor(obj, request.GET.get("before"))
            changes, next_cursor = object_history(obj, before=before)
        context = {
            "audit_changes": changes,
            "audit_next_cursor": next_cursor,
            "audit_older_page": before is not None,
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, extra_context=context)


class SalesflowAdminSite(admin.AdminSite):
    site_header = "salesflow administration"
    site_title = "salesflow admin"
    index_title = "Configuration and data"

    def register(self, model_or_iterable, admin_class=None, **options):  # noqa: ANN001, ANN003, ANN201
        # Every model admin passes through here, Django's own (groups) and third-party ones
        # (django-axes) included: the guard goes in front of each, once.
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, PrivateColumnGuard):
            admin_class = type(
                admin_class.__name__,
                (PrivateColumnGuard, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        # Imported here: this module is loaded with the app registry, before any model.
        from salesflow.core.audit.tracking import EVENT_MODELS

        models_ = (
            [model_or_iterable] if isinstance(model_or_iterable, type) else list(model_or_iterable)
        )
        audited = [model for model in models_ if model in EVENT_MODELS]
        for model in audited:
            # Each audited model gets its own class, so the history mixin goes in front once.
            audited_class = admin_class
            if not issubclass(audited_class, AuditHistoryAdmin):
                audited_class = type(
                    admin_class.__name__,
                    (AuditHistoryAdmin, admin_class),
                    {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
                )
            super().register(model, audited_class, **options)
        rest = [model for model in models_ if model not in EVENT_MODELS]
        if rest:
            super().register(rest, admin_class, **options)


class SalesflowAdminConfig(AdminConfig):
    """`django.contrib.admin` with salesflow's site as `admin.site`."""

    default_site = "salesflow.core.admin_site.SalesflowAdminSite"

    def ready(self) -> None:
        super().ready()
        checks.register(check_private_columns, checks.Tags.admin)


# --- The system check ------------------------------------------------------------------


def _flatten(names: Iterable[object]) -> Iterator[str]:
    for name in names:
        if isinstance(name, list | tuple):
            yield from _flatten(name)
        elif isinstance(name, str):
            yield name


def shown_columns(model_admin: admin.options.BaseModelAdmin) -> Iterator[str]:
    """Every field path an admin (or inline) lists, filters, searches, orders by or shows
    in its form. Callables in list_display show whatever they compute: those are the
    author's to review."""
    yield from _flatten(getattr(model_admin, "list_display", ()))
    for item in getattr(model_admin, "list_filter", ()):
        yield from _flatten([item[0] if isinstance(item, list | tuple) else item])
    yield from (name.lstrip("^=@") for name in getattr(model_admin, "search_fields", ()) or ())
    yield from (name.lstrip("-") for name in _flatten(model_admin.ordering or ()))
    if getattr(model_admin, "date_hierarchy", None):
        yield model_admin.date_hierarchy
    yield from _flatten(model_admin.readonly_fields)
    if model_admin.fieldsets:
        for _, options in model_admin.fieldsets:
            yield from _flatten(options.get("fields", ()))
    elif model_admin.fields:
        yield from _flatten(model_admin.fields)
    else:
        # No fields named: the form shows every editable column not excluded.
        excluded = set(model_admin.exclude or ())
        yield from (
            field.name
            for field in model_admin.model._meta.get_fields()
            if field.concrete and field.editable and field.name not in excluded
        )


def revealed_private_columns(model_admin: admin.options.BaseModelAdmin) -> list[str]:
    """The paths an admin (or inline) shows or looks up that go through a private column."""
    return [
        path
        for path in shown_columns(model_admin)
        if path_reaches_private_column(model_admin.model, path)
    ]


def check_private_columns(app_configs: object = None, **kwargs: object) -> list[checks.Error]:
    errors = []
    for model, model_admin in admin.site._registry.items():
        for shown in (model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)):
            errors += [
                checks.Error(
                    f"{type(shown).__name__} shows, filters, searches or orders by {path!r}, "
                    "a private column.",
                    hint="Leave it out: see salesflow.core.admin_site.private_column.",
                    obj=type(shown),
                    id="salesflow.E001",
                )
                for path in revealed_private_columns(shown)
            ]
    return errors
