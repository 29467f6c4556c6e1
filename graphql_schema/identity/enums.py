"""Enums of the identity domain, generated from the values the tables allow."""

from db.models.identity import MEMBERSHIP_ROLES, USER_STATUSES
from db.models.mail import MAIL_KINDS, MAIL_STATUSES
from graphql_schema.scalars import db_enum

MembershipRole = db_enum("MembershipRole", MEMBERSHIP_ROLES, "A member's role in an organization.")
UserStatus = db_enum("UserStatus", USER_STATUSES)
MailKind = db_enum("MailKind", MAIL_KINDS, "What a mail of the outbox is for.")
MailStatus = db_enum("MailStatus", MAIL_STATUSES,
                     "pending: not sent yet (always, without AIPLATFORM_SMTP_URL); sent; failed: "
                     "the SMTP server refused it too often (lastError says why).")
