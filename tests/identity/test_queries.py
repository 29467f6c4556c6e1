"""Organizations, users and memberships through root connections, relations and `node`, read
by a member of the organizations concerned: another organization is in the database each
time, and never in the answers."""

from __future__ import annotations

import base64

from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import error_codes, gql, gql_data

ORGS_PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $order: OrganizationOrder) {
  organizations(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { slug } }
  }
}
"""
ORG_BY_SLUG = """
query ($slug: String!) {
  organization(slug: $slug) {
    id name
    members(filter: {roleIn: [OWNER, ADMIN]}) { totalCount edges { node { role user { username
      organizations { edges { node { slug } } } } } } }
  }
}
"""
NODE = "query ($id: ID!) { node(id: $id) { __typename id ... on Organization { slug } } }"
NODES = "query ($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on User { username } } }"


def slugs(conn: dict) -> list[str]:
    return [e["node"]["slug"] for e in conn["edges"]]


async def given_orgs(session, member_client, n: int):
    """A client for a member of `n` organizations org-00..., and one more organization in
    their midst (by name and slug) that the member does not belong to."""
    orgs = [await make_organization(session, name=f"Org {i:02}", slug=f"org-{i:02}")
            for i in range(n)]
    await make_organization(session, name="Org 01 elsewhere", slug="org-01-elsewhere")
    await session.commit()
    return await member_client(*orgs)


async def test_forward_and_backward_pages_cover_the_list_once(member_client, session) -> None:
    client = await given_orgs(session, member_client, 5)
    order = {"field": "NAME", "direction": "ASC"}

    first = (await gql_data(client, ORGS_PAGE, {"first": 2, "order": order}))["organizations"]
    second = (await gql_data(client, ORGS_PAGE, {
        "first": 2, "after": first["pageInfo"]["endCursor"], "order": order}))["organizations"]
    third = (await gql_data(client, ORGS_PAGE, {
        "first": 2, "after": second["pageInfo"]["endCursor"], "order": order}))["organizations"]
    back = (await gql_data(client, ORGS_PAGE, {
        "last": 2, "before": third["pageInfo"]["startCursor"], "order": order}))["organizations"]

    assert slugs(first) + slugs(second) + slugs(third) == [f"org-{i:02}" for i in range(5)]
    assert first["totalCount"] == 5
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert third["pageInfo"]["hasNextPage"] is False
    assert slugs(back) == ["org-02", "org-03"]
    assert back["pageInfo"]["hasPreviousPage"] is True


async def test_descending_order_and_last_without_cursor(member_client, session) -> None:
    client = await given_orgs(session, member_client, 4)
    desc = {"field": "NAME", "direction": "DESC"}

    data = await gql_data(client, ORGS_PAGE, {"first": 3, "order": desc})
    tail = await gql_data(client, ORGS_PAGE, {"last": 2, "order": desc})

    assert slugs(data["organizations"]) == ["org-03", "org-02", "org-01"]
    assert slugs(tail["organizations"]) == ["org-01", "org-00"]


async def test_organization_by_slug_with_filtered_members_both_ways(member_client,
                                                                    session) -> None:
    org = await make_organization(session, slug="acme")
    elsewhere = await make_organization(session, slug="elsewhere")
    for name, role in [("ann", "owner"), ("bob", "admin"), ("cid", "member")]:
        user = await make_user(session, username=name)
        await make_membership(session, organization=org, user=user, role=role)
        await make_membership(session, organization=elsewhere, user=user, role=role)
    await session.commit()
    client = await member_client(org)

    data = await gql_data(client, ORG_BY_SLUG, {"slug": "acme"})
    missing = await gql_data(client, ORG_BY_SLUG, {"slug": "nope"})
    not_mine = await gql_data(client, ORG_BY_SLUG, {"slug": "elsewhere"})

    members = data["organization"]["members"]
    assert members["totalCount"] == 2
    assert sorted((e["node"]["role"], e["node"]["user"]["username"]) for e in members["edges"]) \
        == [("ADMIN", "bob"), ("OWNER", "ann")]
    # ann and bob also belong to "elsewhere", which this member cannot see
    assert all(slugs(e["node"]["user"]["organizations"]) == ["acme"] for e in members["edges"])
    assert missing == not_mine == {"organization": None}


def global_id(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def test_node_and_nodes_round_trip(member_client, session) -> None:
    org = await make_organization(session, slug="acme")
    ann = await make_user(session, username="ann")
    await make_membership(session, organization=org, user=ann)
    elsewhere = await make_organization(session, slug="elsewhere")
    stranger = await make_user(session, username="stranger")
    await make_membership(session, organization=elsewhere, user=stranger)
    await session.commit()
    client = await member_client(org)
    org_id = (await gql_data(client, ORG_BY_SLUG, {"slug": "acme"}))["organization"]["id"]
    user_id = global_id("User", ann.id)

    node = await gql_data(client, NODE, {"id": org_id})
    nodes = await gql_data(client, NODES, {"ids": [user_id, org_id]})
    hidden = await gql(client, NODES, {"ids": [global_id("User", stranger.id),
                                               global_id("Organization", elsewhere.id)]})

    assert org_id == global_id("Organization", org.id)  # the factory's row is the one found
    assert node["node"] == {"__typename": "Organization", "id": org_id, "slug": "acme"}
    assert nodes["nodes"] == [{"__typename": "User", "username": "ann"},
                              {"__typename": "Organization"}]
    assert hidden["data"] == {"nodes": [None, None]}
    assert error_codes(hidden) == ["NOT_FOUND", "NOT_FOUND"]


async def test_bad_input_gets_coded_errors_never_a_500(member_client, session) -> None:
    client = await given_orgs(session, member_client, 1)
    unknown = global_id("Organization", "00000000-0000-0000-0000-000000000000")
    other_order = (await gql_data(client, ORGS_PAGE, {"first": 1}))["organizations"]

    too_many = await gql(client, ORGS_PAGE, {"first": 1000})
    negative = await gql(client, ORGS_PAGE, {"first": -1})
    bad_cursor = await gql(client, ORGS_PAGE, {"first": 1, "after": "not-a-cursor"})
    wrong_order = await gql(client, ORGS_PAGE, {
        "first": 1, "after": other_order["pageInfo"]["endCursor"],
        "order": {"field": "NAME"}})
    bad_id = await gql(client, NODE, {"id": "garbage"})
    missing = await gql(client, NODE, {"id": unknown})
    wrong_type = await gql(client, ORGS_PAGE, {"first": "ten"})
    unknown_type = await gql(client, NODE, {
        "id": global_id("Nope", "00000000-0000-0000-0000-000000000000")})

    assert error_codes(too_many) == ["BAD_USER_INPUT"]
    assert "between 0 and 100" in too_many["errors"][0]["message"]
    assert error_codes(negative) == ["BAD_USER_INPUT"]
    assert error_codes(bad_cursor) == ["BAD_USER_INPUT"]
    assert error_codes(wrong_order) == ["BAD_USER_INPUT"]
    assert error_codes(bad_id) == ["BAD_USER_INPUT"]
    assert error_codes(missing) == ["NOT_FOUND"] and missing["data"] == {"node": None}
    assert error_codes(unknown_type) == ["NOT_FOUND"]
    assert error_codes(wrong_type) == ["BAD_USER_INPUT"]
