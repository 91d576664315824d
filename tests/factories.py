from __future__ import annotations

import factory

from salesflow.core.models import Team, User

PASSWORD = "correct-horse-battery-staple"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.test")
    role = User.Role.REP
    password = factory.django.Password(PASSWORD)


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "prospects.Segment"
        django_get_or_create = ("name",)

    name = factory.Iterator(["Hospitals", "Schools", "Manufacturers"])


class AccountFactory(factory.django.DjangoModelFactory):
    """An account written straight to the table; use services where the behaviour matters."""

    class Meta:
        model = "prospects.Account"

    name = factory.Sequence(lambda n: f"Account {n}")
    owner = factory.SubFactory(UserFactory)
    segment = factory.SubFactory(SegmentFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "prospects.Contact"

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name")
    title = "Head of Operations"
