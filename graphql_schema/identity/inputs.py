"""Filter and order inputs of the identity domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graphql_schema.identity.enums import MembershipRole, UserStatus
from graphql_schema.relay import OrderDirection


@strawberry.input(description="Organizations matching all given conditions.")
class OrganizationFilter:
    slug_in: list[str] | None = None
    name_contains: str | None = None
    is_active: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class OrganizationOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class OrganizationOrder:
    field: OrganizationOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Users matching all given conditions.")
class UserFilter:
    username_contains: str | None = None
    email_contains: str | None = None
    status: UserStatus | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class UserOrderField(Enum):
    ID = ("id",)
    USERNAME = ("username", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class UserOrder:
    field: UserOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Memberships matching all given conditions.")
class MembershipFilter:
    role: MembershipRole | None = None
    role_in: list[MembershipRole] | None = None
    created_after: datetime | None = None


@strawberry.enum
class MembershipOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")


@strawberry.input
class MembershipOrder:
    field: MembershipOrderField
    direction: OrderDirection = OrderDirection.ASC
