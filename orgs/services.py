"""Organisation look-ups shared by the API and the commands."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from orgs.models import Membership, Organization

#: Slug of the organisation created for a single-company install.
DEFAULT_ORG_SLUG = "default"


def default_organization() -> Organization:
    """The organisation used when a deployment has only one."""
    org, _ = Organization.objects.get_or_create(slug=DEFAULT_ORG_SLUG, defaults={"name": "My company"})
    return org


def organization_for(user: AbstractBaseUser | AnonymousUser) -> Organization:
    """The organisation a user works in: their first membership, else the default one.

    A user without a membership is added to the default organisation as an admin
    when they are a superuser, so a fresh install works without set-up.
    """
    if user.pk is None:
        return default_organization()
    membership = Membership.objects.filter(user_id=user.pk).select_related("organization").first()
    if membership is not None:
        return membership.organization
    org = default_organization()
    if getattr(user, "is_superuser", False):
        Membership.objects.get_or_create(organization=org, user_id=user.pk, defaults={"role": Membership.Role.ADMIN})
    return org
