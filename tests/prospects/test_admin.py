"""The admin's account pages go through the services, like every other door."""

from __future__ import annotations

import pytest
from django.urls import reverse

from prospects.models import Account, AccountEvent, Contact

pytestmark = pytest.mark.django_db


def test_admin_status_change_goes_through_the_service(admin_client, account):
    url = reverse("admin:prospects_account_change", args=[account.pk])
    data = {
        "name": account.name,
        "website": "",
        "segment": account.segment_id,
        "lead_source": "",
        "owner": account.owner_id,
        "status": "customer",
        "disqualified_reason": "",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert AccountEvent.objects.get(account=account, kind="status").summary == "Prospect → Customer"
    admin_client.post(
        reverse("admin:prospects_account_add"), {**data, "name": "Via admin", "status": "prospect"}
    )
    created = Account.objects.get(name="Via admin")
    assert AccountEvent.objects.filter(account=created, kind="created").exists()
    assert Contact.objects.count() == 0
