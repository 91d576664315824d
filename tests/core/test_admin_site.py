"""The admin site keeps private columns private: a lookup through one is refused by every
model admin, and an admin that would show one does not pass the system check."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group

from pipeline.reviews.models import Item, Review, Vote
from salesflow.core.admin_site import (
    PrivateColumnGuard,
    SalesflowAdminSite,
    check_private_columns,
    path_reaches_private_column,
    revealed_private_columns,
)
from salesflow.core.models import User


@pytest.mark.parametrize(
    ("model", "path", "private"),
    [
        (Item, "author", True),
        (Item, "author_id__in", True),
        (Item, "author__pk", True),
        (Item, "author__username__startswith", True),
        (Item, "group__items__author_id", True),
        (Item, "review__votes__voter__isnull", True),
        (Review, "items__author__id__exact", True),
        (Item, "text", False),
        (Item, "text__author", False),  # `author` after a text column is a (bad) transform
        (Item, "pk", False),
        (Item, "review__participants__user", False),
        (Review, "facilitator__username", False),
        (User, "review_items", False),  # no such relation: Item.author has no reverse name
    ],
)
def test_a_path_is_private_when_it_goes_through_a_private_column(model, path, private):
    assert path_reaches_private_column(model, path) is private


def test_every_admin_on_the_site_is_guarded_djangos_own_included():
    assert isinstance(admin.site._wrapped, SalesflowAdminSite)
    assert admin.site._registry, "the admin has models"
    for model_admin in admin.site._registry.values():
        assert isinstance(model_admin, PrivateColumnGuard), type(model_admin)
    assert isinstance(admin.site._registry[Group], PrivateColumnGuard)


def test_a_model_admin_registered_later_is_guarded_too():
    site = SalesflowAdminSite(name="elsewhere")
    site.register(Item)
    site.register(Vote, admin.ModelAdmin)
    for model in (Item, Vote):
        model_admin = site._registry[model]
        assert not model_admin.lookup_allowed("author_id__in" if model is Item else "voter", "1")
        assert model_admin.lookup_allowed("review", "1")


def test_the_site_passes_the_private_column_check():
    assert check_private_columns() == []


def test_an_admin_that_would_show_an_author_fails_the_check():
    class Careless(admin.ModelAdmin):
        list_display = ["text", "author"]
        list_filter = [("author", admin.RelatedOnlyFieldListFilter), "kind"]
        search_fields = ["text", "^author__username"]
        ordering = ["-author_id"]
        fields = ["text", "kind"]

    class Defaults(admin.ModelAdmin):
        pass  # no fields named: its form would show every column, the author's too

    class CarelessInline(admin.TabularInline):
        model = Item
        fields = ["text", ("kind", "author")]

    assert revealed_private_columns(Careless(Item, admin.site)) == [
        "author",
        "author",
        "author__username",
        "author_id",
    ]
    assert revealed_private_columns(Defaults(Item, admin.site)) == ["author"]
    assert revealed_private_columns(CarelessInline(Review, admin.site)) == ["author"]
    assert revealed_private_columns(admin.site._registry[Item]) == []
