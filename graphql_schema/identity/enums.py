"""Enums of the identity domain, generated from the values the tables allow."""

from db.models.identity import MEMBERSHIP_ROLES, USER_STATUSES
from graphql_schema.scalars import db_enum

MembershipRole = db_enum("MembershipRole", MEMBERSHIP_ROLES, "A member's role in an organization.")
UserStatus = db_enum("UserStatus", USER_STATUSES)
