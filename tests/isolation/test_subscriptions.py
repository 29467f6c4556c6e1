"""The isolation matrix's subscriptions, generated from the schema: every subscription that
follows one object refuses an outsider (B's owner following A's object) at once, with
NOT_FOUND, while A's owner follows it (its stream starts, or stays open for changes)."""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import GraphQLNonNull

from db.scope import Principal
from graphql_schema.context import Context
from graphql_schema.schema import build_schema
from tests.isolation.test_matrix import ID_ALIASES, READ_REFUSALS, _named

# the object each subscription follows, by its argument (or by the field, for a plain `id`)
SUBSCRIPTION_TARGETS = {"deploymentStatus": "Deployment"}


def followed_objects(schema) -> list[tuple[str, str, str]]:
    """(subscription, argument, object type) for each subscription that follows one object."""
    found = []
    for name, field in schema.subscription_type.fields.items():
        required = [(arg_name, arg) for arg_name, arg in field.args.items()
                    if isinstance(arg.type, GraphQLNonNull)]
        if len(required) != 1 or _named(required[0][1].type).name != "ID":
            continue
        arg_name = required[0][0]
        type_name = SUBSCRIPTION_TARGETS.get(name) or ID_ALIASES.get(arg_name)
        if type_name is None:
            raise AssertionError(f"isolation matrix: no rule for {name}({arg_name})")
        found.append((name, arg_name, type_name))
    return found


async def first_result(schema, app, principal, document: str, variables: dict,
                       within: float = 10) -> Any:
    """The stream's first result; None when it is open but has sent nothing `within` s
    (a subscription that only reports changes)."""
    context = Context(settings=app.state.settings, db=app.state.db, redis=app.state.redis,
                      principal=principal, pubsub=app.state.pubsub)
    stream = await schema.subscribe(document, variable_values=variables, context_value=context)
    if not hasattr(stream, "__aiter__"):
        return stream  # refused before the stream began
    try:
        return await asyncio.wait_for(anext(stream), within)
    except TimeoutError:
        return None
    finally:
        await stream.aclose()


async def test_subscriptions_to_another_organizations_objects_are_refused(
    app, worlds, graphql_schema, settings
) -> None:
    a, b, _ = worlds
    schema = build_schema(settings)
    outsider = Principal(user_id=b.owner.id, organization_ids=frozenset({b.organization.id}),
                         roles={b.organization.id: "owner"})
    owner = Principal(user_id=a.owner.id, organization_ids=frozenset({a.organization.id}),
                      roles={a.organization.id: "owner"})
    followed = followed_objects(graphql_schema)
    assert {"analysisJobProgress", "dataProcessingTaskProgress", "runProgress"} <= {
        name for name, _, _ in followed}
    for name, arg_name, type_name in followed:
        document = (f"subscription ($id: ID!) {{ {name}({arg_name}: $id) "
                    "{ __typename } }")
        result = await first_result(schema, app, outsider, document,
                                    {"id": a.gid(type_name)})
        assert result is not None, f"{name}: an outsider's stream stayed open"
        assert result.data is None, (name, result)
        assert {e.extensions.get("code") for e in result.errors or []} == READ_REFUSALS, (
            name, result.errors)
        # control: A's owner follows the same object (its stream starts, or stays open)
        owned = await first_result(schema, app, owner, document, {"id": a.gid(type_name)},
                                   within=1)
        assert owned is None or (owned.errors is None and owned.data[name]), (name, owned)
