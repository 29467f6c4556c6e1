"""The isolation matrix, generated from the schema: for every node type, every root
connection, every relation and every mutation that targets an object, callers without a
right to organization A's data (an owner and a viewer of organization B, an anonymous caller,
a revoked token, and for writes a viewer of A) are refused, and nothing changes in the
database (subscriptions: test_subscriptions.py).

Positive controls (A's own viewer and owner read every object) show the refusals come from
scoping, not from broken fixtures.
"""

from __future__ import annotations

import hashlib
from itertools import product
from typing import Any

import asyncpg
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)

from db.base import Base
from db.session import asyncpg_dsn
from graphql_schema.node import node_types
from tests.isolation.world import World

READ_REFUSALS = {"NOT_FOUND"}
WRITE_REFUSALS = {"NOT_FOUND", "FORBIDDEN", "UNAUTHENTICATED"}
# a notification, an API key and a login session are their owner's alone; audit logs need
# audit:read, pending invitations member:manage
HIDDEN_FROM_VIEWERS = {"Notification", "AuditLog", "ApiKey", "UserSession", "Invitation"}
# platform rows (no organization): only a superuser reads them, so a superuser is their control
PLATFORM_ONLY = {"SystemSetting", "SystemLog", "OutboxMail"}
PLATFORM_CONNECTIONS = {"systemSettings", "systemLogs", "mailOutbox"}
# a member may leave an organization; retrieval is reading (it logs the query it answers); a
# profile's avatar may be any file its owner reads
VIEWER_MAY = {"removeMember", "ragQuery", "updateProfile"}
ID_ALIASES = {
    "organizationId": "Organization", "membershipId": "Membership", "userId": "User",
    "modelId": "AiModel", "modelVersionId": "ModelVersion", "sessionId": "ChatSession",
    "parentMessageId": "ChatMessage", "messageId": "ChatMessage", "datasetId": "Dataset",
    "fileId": "File", "projectId": "Project", "experimentId": "Experiment", "runId": "Run",
    "deploymentId": "Deployment", "applicationId": "Application",
    "collectionId": "KnowledgeCollection", "documentId": "KnowledgeDocument",
    "jobId": "AnalysisJob", "groupId": "Group", "apiKeyId": "ApiKey", "objectId": "Dataset",
    "baseModelVersionId": "ModelVersion", "datasetVersionId": "DatasetVersion",
    "sourceRunId": "Run", "sourceId": "DataSource",
    "sourceDatasetId": "Dataset", "targetDatasetId": "Dataset", "taskId": "DataProcessingTask",
    "sourceVersionId": "DatasetVersion",
    "Model": "AiModel",  # the object of updateModel/deleteModel, named after its verb
    "Collection": "KnowledgeCollection",  # reindexCollection
    "ids": "Notification",  # markNotificationsRead
    "avatarFileId": "File",  # updateProfile
    "Session": "UserSession",  # revokeSession
    "ObjectPermission": "ObjectPermissionGrant",  # revokeObjectPermission
}
# inputs that take exactly one of several IDs: besides all of them at once, each is tried
# alone, and must then be refused as an access error (not a userError about the choice)
ONE_OF = {"createChatSession": ("modelId", "deploymentId")}
VERBS = ("update", "delete", "remove", "revoke", "archive", "promote", "scale", "cancel",
         "complete", "fail", "start", "regenerate", "reindex", "grant", "add", "invite",
         "create", "send", "report")


async def post(client, headers: dict[str, str], query: str, variables: dict | None = None
               ) -> tuple[int, dict]:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}},
                                 headers=headers)
    return response.status_code, response.json()


def codes(body: dict) -> set[str]:
    return {e.get("extensions", {}).get("code") for e in body.get("errors") or []}


def ids_in(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "id" and isinstance(v, str):
                found.add(v)
            else:
                found |= ids_in(v)
    elif isinstance(value, list):
        for v in value:
            found |= ids_in(v)
    return found


async def snapshot(database_url: str) -> dict[str, str]:
    con = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        out = {}
        for table in Base.metadata.tables:
            if table == "system_logs":  # the server's own log (a refusal may log a warning)
                continue
            rows = await con.fetch(f"SELECT t::text FROM {table} t ORDER BY t::text")
            out[table] = hashlib.sha256("\n".join(r[0] for r in rows).encode()).hexdigest()
        return out
    finally:
        await con.close()


def test_every_node_type_is_in_the_world() -> None:
    from tests.isolation import world

    source = open(world.__file__).read()
    missing = [t for t in node_types() if f'o["{t}"]' not in source]
    assert missing == [], f"add these types to tests/isolation/world.py: {missing}"


async def test_node_and_nodes(client, worlds) -> None:
    a, _, callers = worlds
    query = "query ($id: ID!) { node(id: $id) { id } }"
    for caller in ("viewer", "owner", "superuser"):  # positive control
        for type_name in a.objects:
            _, body = await post(client, callers[caller], query, {"id": a.gid(type_name)})
            if caller == "viewer" and type_name in HIDDEN_FROM_VIEWERS:
                continue
            if caller != "superuser" and type_name in PLATFORM_ONLY:
                assert body["data"] == {"node": None}, (caller, type_name)
                continue
            assert body["data"]["node"] == {"id": a.gid(type_name)}, (caller, type_name, body)
    for caller in ("outsider", "outsider_viewer", "anonymous"):
        for type_name in a.objects:
            _, body = await post(client, callers[caller], query, {"id": a.gid(type_name)})
            assert body["data"] == {"node": None}, (caller, type_name)
            assert codes(body) == READ_REFUSALS, (caller, type_name, body)
        _, body = await post(client, callers[caller], "query ($ids: [ID!]!) { nodes(ids: $ids) "
                             "{ id } }", {"ids": sorted(a.global_ids)})
        assert body["data"] == {"nodes": [None] * len(a.global_ids)}, caller
    status, body = await post(client, callers["revoked"], query, {"id": a.gid("Organization")})
    assert status == 401 and codes(body) == {"SESSION_REVOKED"}


def root_connections(schema) -> list[tuple[str, Any]]:
    fields = schema.query_type.fields
    return [(name, f) for name, f in fields.items()
            if _named(f.type).name.endswith("Connection")
            if not any(isinstance(a.type, GraphQLNonNull) for a in f.args.values())]


def _named(t: Any) -> Any:
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        t = t.of_type
    return t


async def test_root_connections_and_filters(client, worlds, graphql_schema) -> None:
    a, _, callers = worlds
    connections = root_connections(graphql_schema)
    assert len(connections) >= 10
    for name, field in connections:
        query = f"{{ {name}(first: 100) {{ totalCount edges {{ node {{ id }} }} }} }}"
        control = "superuser" if name in PLATFORM_CONNECTIONS else "owner"
        _, owner_body = await post(client, callers[control], query)
        _, outsider_body = await post(client, callers["outsider"], query)
        _, outsider_viewer_body = await post(client, callers["outsider_viewer"], query)
        assert not ids_in(outsider_viewer_body["data"]) & a.global_ids, name
        _, anonymous_body = await post(client, callers["anonymous"], query)
        assert ids_in(owner_body["data"]) & a.global_ids, (name, owner_body)  # control
        assert not ids_in(outsider_body["data"]) & a.global_ids, name
        assert anonymous_body["data"][name]["totalCount"] == 0, name
        filter_type = field.args.get("filter")
        if filter_type is not None and "organizationId" in _named(filter_type.type).fields:
            filtered = (f"query ($org: ID!) {{ {name}(filter: {{organizationId: $org}}) "
                        "{ totalCount } }")
            _, body = await post(client, callers["outsider"], filtered,
                                 {"org": a.gid("Organization")})
            assert body["data"][name]["totalCount"] == 0, name


def relation_selection(object_type: GraphQLObjectType) -> str:
    """Every field of a type that leads to other objects, one level deep, ids only."""
    parts = []
    for name, field in object_type.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        target = _named(field.type)
        if not isinstance(target, GraphQLObjectType):
            continue
        if target.name.endswith("Connection"):
            parts.append(f"{name} {{ totalCount edges {{ node {{ id }} }} }}")
        elif "id" in target.fields:
            parts.append(f"{name} {{ id }}")
    return " ".join(parts)


async def test_nested_relations_never_reach_another_organization(
    client, worlds, graphql_schema
) -> None:
    a, b, callers = worlds
    for type_name in b.objects:
        selection = relation_selection(graphql_schema.type_map[type_name])
        if not selection or type_name in PLATFORM_ONLY:  # B's owner cannot read those either
            continue
        fragment = f"... on {type_name} {{ {selection} }}"
        query = f"query ($id: ID!) {{ node(id: $id) {{ id {fragment} }} }}"
        _, body = await post(client, callers["outsider"], query, {"id": b.gid(type_name)})
        assert body["data"]["node"] is not None, (type_name, body)  # B's own: visible
        leaked = ids_in(body["data"]) & a.global_ids
        assert not leaked, (type_name, leaked)


def mutation_input(schema, mutation: str, field: Any, target: World) -> dict | None:
    """Values for the mutation's required input, pointing every ID at A's objects (in nested
    inputs too, such as shiftTraffic's splits); None when the mutation does not target an
    existing object (signUp, logIn, ...)."""
    arg = field.args.get("input")
    if arg is None:
        return None
    default_target = next((mutation[len(v):] for v in VERBS if mutation.startswith(v)), "")
    values, targeted = _input_values(_named(arg.type), mutation, default_target, target)
    return values if targeted else None


def _input_values(input_type: Any, mutation: str, default_target: str, target: World
                  ) -> tuple[dict[str, Any], bool]:
    targeted = False
    values: dict[str, Any] = {}
    for name, input_field in input_type.fields.items():
        typ = _named(input_field.type)
        required = isinstance(input_field.type, GraphQLNonNull)
        if isinstance(typ, GraphQLScalarType) and typ.name == "ID":
            type_name = (ID_ALIASES.get(default_target, default_target) if name == "id"
                         else ID_ALIASES.get(name))
            if type_name is None or type_name not in target.objects:
                if required:
                    raise AssertionError(f"isolation matrix: no rule for {mutation}.{name}")
                continue
            values[name] = target.gid(type_name)
            targeted = True
        elif (required and isinstance(typ, GraphQLInputObjectType)
              and isinstance(_strip(input_field.type), GraphQLList)):
            element, nested = _input_values(typ, mutation, "", target)
            values[name] = [element]
            targeted = targeted or nested
        elif required:
            values[name] = _sample(typ, input_field.type)
    return values, targeted


def _sample(typ: Any, declared: Any) -> Any:
    if isinstance(_strip(declared), GraphQLList):
        return []
    if isinstance(typ, GraphQLEnumType):
        return next(iter(typ.values))
    if isinstance(typ, GraphQLInputObjectType):
        return {}
    return {"String": "isolation-test", "Int": 1, "Float": 1.0, "Boolean": False,
            "DateTime": "2099-01-01T00:00:00+00:00", "JSON": {}}.get(typ.name, "x")


def _strip(t: Any) -> Any:
    return t.of_type if isinstance(t, GraphQLNonNull) else t


async def test_mutations_on_another_organizations_objects_are_refused(
    client, worlds, graphql_schema, database_url
) -> None:
    a, _, callers = worlds
    mutation_type = graphql_schema.mutation_type
    assert mutation_type is not None
    before = await snapshot(database_url)
    tried = 0
    for name, field in mutation_type.fields.items():
        values = mutation_input(graphql_schema, name, field, a)
        if values is None:
            continue
        payload = _named(field.type)
        result = next(n for n in payload.fields if n != "userErrors")
        selection = f"userErrors {{ code }} {_leaf(payload, result)}"
        document = (f"mutation ($input: {_named(field.args['input'].type).name}!) "
                    f"{{ {name}(input: $input) {{ {selection} }} }}")
        for (given, alone), caller in product(variants(name, values), (
                "outsider", "outsider_viewer", "anonymous", "viewer", "revoked")):
            if caller == "viewer" and name in VIEWER_MAY:
                continue  # allowed to a viewer by design; covered by the domain's tests
            status, body = await post(client, callers[caller], document, {"input": given})
            tried += 1
            if caller == "revoked":
                assert status == 401, (name, body)
                continue
            refused = codes(body) & WRITE_REFUSALS or (
                not alone and body.get("data") and body["data"][name]["userErrors"])
            assert refused, (name, caller, given, body)
    assert tried > 0
    assert await snapshot(database_url) == before


def variants(mutation: str, values: dict[str, Any]) -> list[tuple[dict[str, Any], bool]]:
    """(input, one of a one-of input alone?) for each input a mutation is tried with."""
    choices = ONE_OF.get(mutation, ())
    alone = [({k: v for k, v in values.items() if k == choice or k not in choices}, True)
             for choice in choices]
    return [(values, False), *alone]


def _leaf(payload: GraphQLObjectType, field_name: str) -> str:
    target = _named(payload.fields[field_name].type)
    if isinstance(target, GraphQLObjectType):
        return f"{field_name} {{ __typename }}"
    return field_name


PERFORMANCE = """
query ($org: ID) { performanceMetrics(organizationId: $org, bucket: HOUR) { metricName } }"""


async def test_performance_series_of_another_organization_or_the_platform_are_refused(
        client, worlds) -> None:
    """The root series are not a connection, so the generated checks above miss them: an
    organization's are for its members, the platform's for superusers."""
    a, _, callers = worlds
    org = {"org": a.gid("Organization")}
    for caller in ("viewer", "owner", "superuser"):  # positive control
        _, body = await post(client, callers[caller], PERFORMANCE, org)
        assert body["data"] == {"performanceMetrics": []}, (caller, body)
    for caller, refused in (("outsider", "NOT_FOUND"), ("outsider_viewer", "NOT_FOUND"),
                            ("anonymous", "UNAUTHENTICATED")):
        _, body = await post(client, callers[caller], PERFORMANCE, org)
        assert codes(body) == {refused}, (caller, body)
    _, body = await post(client, callers["superuser"], PERFORMANCE)
    assert body["data"] == {"performanceMetrics": []}
    for caller in ("viewer", "owner", "outsider"):
        _, body = await post(client, callers[caller], PERFORMANCE)
        assert codes(body) == {"FORBIDDEN"}, (caller, body)
