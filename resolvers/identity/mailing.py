"""What the account mutations share about mail: waking this process's sender after a commit
that queued one, and the tokens mails carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graphql_schema.context import Info
from services.security.tokens import hash_secret, new_secret

INVITATION_TTL = timedelta(days=7)
RESET_TTL = timedelta(hours=1)


def new_token() -> tuple[str, str]:
    """(token for the mail, its hash for the table)."""
    token = new_secret()
    return token, hash_secret(token)


def expiry(ttl: timedelta) -> datetime:
    return datetime.now(UTC) + ttl


def wake_mail_sender(info: Info) -> None:
    """Send what was just committed now rather than at the sender's next poll (other
    processes' senders find it then)."""
    request = info.context.request
    sender = getattr(request.app.state, "mail", None) if request is not None else None
    if sender is not None:
        sender.wake()
