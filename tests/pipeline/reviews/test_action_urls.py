"""One URL, and one view, per change to a review, at the same address as before; an address
naming no change resolves to nothing."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve, reverse

from pipeline.reviews import views as review_views

REVIEW_CHANGES = {
    "advance": review_views.review_advance,
    "reopen": review_views.review_reopen,
    "seed": review_views.review_seed_facts,
    "reveal": review_views.review_reveal_next,
    "write": review_views.item_write,
    "edit": review_views.item_edit,
    "delete": review_views.item_delete,
    "group": review_views.group_items,
    "drop": review_views.item_drop,
    "rename": review_views.group_rename,
    "ungroup": review_views.item_ungroup,
    "vote": review_views.vote_cast,
    "unvote": review_views.vote_withdraw,
    "action": review_views.action_create,
    "done": review_views.action_done,
}


@pytest.mark.parametrize(("change", "view"), REVIEW_CHANGES.items())
def test_each_change_to_a_review_has_its_own_url_and_view(change, view):
    path = f"/reviews/7/{change}/"
    assert reverse(f"reviews:{change}", args=[7]) == path
    match = resolve(path)
    assert (match.func, match.view_name) == (view, f"reviews:{change}")
    assert len({*REVIEW_CHANGES.values()}) == len(REVIEW_CHANGES)  # no view serves two


def test_a_review_address_naming_no_change_resolves_to_nothing():
    with pytest.raises(Resolver404):
        resolve("/reviews/7/nope/")
