"""Id choice fields: an id no row can have is an invalid choice, found without a query."""

from __future__ import annotations

import pytest
from django import forms

from prospects.models import Account
from salesflow.core.fields import IdChoiceField, IdMultipleChoiceField

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field_class", [IdChoiceField, IdMultipleChoiceField])
def test_impossible_ids_are_invalid_choices_before_any_query(
    field_class, django_assert_num_queries
):
    field = field_class(queryset=Account.objects.all())
    for value in ("99999999999999999999999", "²", "-1", "1.5"):
        with django_assert_num_queries(0), pytest.raises(forms.ValidationError) as error:
            field.clean([value] if field_class is IdMultipleChoiceField else value)
        assert error.value.code == "invalid_choice"
