"""Without SMTP (the embedded default) mail waits in the outbox, which only superusers read.

A module of its own: the invitation modules run a server with an SMTP server and an
in-process worker for their whole module, and that worker would send this test's mail."""

from __future__ import annotations

from tests.graphql import gql
from tests.identity.test_invitations import INVITE
from tests.identity.test_organizations import call, gid, given_org

OUTBOX = "{ mailOutbox { edges { node { kind toAddress language status textBody } } } }"


async def test_without_smtp_mails_stay_in_the_outbox_for_superusers(
    app, client, superuser_client, session, db
) -> None:
    # given the tests' app, which has no SMTP server
    org, people = await given_org(app, session, "owner")

    # when an invitation is sent
    await call(client, people["owner"], INVITE, {
        "organizationId": gid("Organization", org.id), "email": "pat@example.com"})

    # then the mail waits in the outbox, which only a superuser reads
    outbox = await gql(superuser_client, OUTBOX)
    [mail] = [e["node"] for e in outbox["data"]["mailOutbox"]["edges"]]
    assert (mail["kind"], mail["toAddress"], mail["language"], mail["status"]) == (
        "INVITATION", "pat@example.com", "en", "PENDING")
    assert "/accept-invitation?token=" in mail["textBody"]
    hidden = await gql(client, OUTBOX, headers=people["owner"].headers)
    assert hidden["data"]["mailOutbox"]["edges"] == []
