"""Relation fields made by `graphql_schema.relations`: what they declare and how they read."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from db.loaders.ai_models import AI_MODELS
from db.loaders.identity import MEMBERSHIPS_BY_ORGANIZATION
from graphql_schema.ai_models.types import AiModel, ModelVersion
from graphql_schema.experiments.types import Run
from graphql_schema.identity.types import Membership, Organization, User
from graphql_schema.relations import (
    ConnectionDeclaration,
    ToOneDeclaration,
    declaration,
    lazy,
)
from graphql_schema.schema import build_schema
from services.settings import Settings


@pytest.fixture(scope="module")
def schema() -> Any:
    return build_schema(Settings(database_url="postgresql://unused/x", redis_url="redis://x"))


def field(schema: Any, type_name: str, field_name: str) -> Any:
    return next(f for f in schema.get_type_by_name(type_name).fields
                if f.python_name == field_name)


def test_a_connection_declares_its_relation_and_node_type(schema: Any) -> None:
    members = declaration(field(schema, "Organization", "members"))
    assert isinstance(members, ConnectionDeclaration)
    assert members.relation is MEMBERSHIPS_BY_ORGANIZATION and members.per_parent
    assert members.node_type is Membership  # a lazy reference further down the same module
    models = declaration(field(schema, "Query", "models"))
    assert isinstance(models, ConnectionDeclaration)
    assert models.relation is AI_MODELS and not models.per_parent
    assert models.node_type is AiModel


def test_a_to_one_field_declares_its_key_and_node_type(schema: Any) -> None:
    user = declaration(field(schema, "Membership", "user"))
    assert isinstance(user, ToOneDeclaration) and user.key == "user_id"
    assert user.node_type is User
    source_run = declaration(field(schema, "ModelVersion", "source_run"))
    assert isinstance(source_run, ToOneDeclaration) and source_run.key == "source_run_id"
    assert source_run.node_type is Run  # lazy across modules


def test_hand_written_fields_declare_nothing(schema: Any) -> None:
    assert declaration(field(schema, "Organization", "name")) is None
    assert declaration(field(schema, "ApplicationComponent", "deployment")) is None
    assert declaration(field(schema, "Query", "viewer")) is None


def test_lazy_names_a_class_resolved_later() -> None:
    declared = ToOneDeclaration(lazy("ModelVersion", "graphql_schema.ai_models.types"), "x")
    assert declared.node_type is ModelVersion
    assert ToOneDeclaration(Organization, "organization_id").node_type is Organization


def test_fields_keep_the_arguments_and_types_of_the_contract(schema: Any) -> None:
    members = schema._schema.type_map["Organization"].fields["members"]
    assert list(members.args) == ["first", "after", "last", "before", "filter", "orderBy"]
    assert all(a.default_value is None for a in members.args.values())
    assert str(members.args["filter"].type) == "MembershipFilter"
    assert str(members.type) == "MembershipConnection!"
    assert str(schema._schema.type_map["Membership"].fields["user"].type) == "User"
    assert str(schema._schema.type_map["ModelVersion"].fields["sourceRun"].type) == "Run"


def test_a_page_is_not_sorted_by_id_when_its_order_is_unique_already() -> None:
    from db.loaders.base import Order, PageQuery, page_sql
    from db.loaders.chat import MESSAGES_BY_SESSION
    from db.scope import Principal

    member = Principal.member(uuid.uuid4(), {uuid.uuid4(): "member"})

    def sql(order: Order) -> str:
        return page_sql(MESSAGES_BY_SESSION, ["id", "content"], PageQuery(order=order, limit=11),
                        [], member, [[]])

    # (session_id, sequence_number) is unique: the id would never decide, the index is read
    # in order; created_at is not, so the id still breaks its ties
    by_sequence = sql(Order(("sequence_number", "id")))
    by_time = sql(Order(("created_at", "id")))
    assert "ORDER BY t.sequence_number LIMIT" in by_sequence
    assert "t.id LIMIT" not in by_sequence
    assert "ORDER BY t.created_at, t.id LIMIT" in by_time
    # each page comes out in its own order; only the parents' positions are sorted on
    assert by_sequence.endswith(") c ORDER BY p.ord") and by_time.endswith(") c ORDER BY p.ord")


def test_unique_keys_are_read_for_every_table_partial_indexes_left_out() -> None:
    from db.loaders.base import _unique_keys
    from db.models import Base

    keys = {name: _unique_keys(name) for name in Base.metadata.tables}
    assert all(frozenset({"id"}) in found for found in keys.values())
    assert frozenset({"session_id", "sequence_number"}) in keys["chat_messages"]
    # unique only among rows not deleted (a partial index): no help for ordering all rows
    assert keys["ai_models"] == frozenset({frozenset({"id"})})


async def test_pages_of_many_parents_keep_their_own_order_and_are_not_sorted_again(
    db: Any, session: Any
) -> None:
    from db.loaders.base import Order, PageQuery, fetch_pages, page_sql
    from db.loaders.chat import MESSAGES_BY_SESSION
    from db.scope import Principal
    from tests.factories.ai_models import make_model
    from tests.factories.chat import make_chat_session, make_message
    from tests.factories.identity import make_organization, make_user

    org = await make_organization(session)
    user, model = await make_user(session), await make_model(session, organization=org)
    first = await make_chat_session(session, user=user, model=model)
    second = await make_chat_session(session, user=user, model=model)
    for chat, numbers in ((first, [5, 1, 4, 2, 3]), (second, [2, 3, 1])):  # stored unsorted
        for n in numbers:
            await make_message(session, chat=chat, role="user", content=f"{chat.title} {n}",
                               sequence_number=n)
    await session.commit()
    member = Principal.member(user.id, {org.id: "member"})  # the tenant predicate included
    query = PageQuery(order=Order(("sequence_number", "id")), limit=4)  # pages of 3
    empty = uuid.UUID(int=0)
    pages = await fetch_pages(db, MESSAGES_BY_SESSION, ["sequence_number"], [],
                              member, query, [second.id, empty, first.id])
    assert [[r[0] for r in p.rows] for p in pages] == [[1, 2, 3], [], [1, 2, 3]]
    assert [p.has_more for p in pages] == [False, False, True]

    params: list[Any] = [[second.id, first.id]]
    sql = page_sql(MESSAGES_BY_SESSION, ["sequence_number"], query, [], member, params)
    assert "t.organization_id = ANY(" in sql
    plan = [r[0] for r in await db.fetch(f"EXPLAIN {sql}", *params)]
    assert plan[0].startswith("Nested Loop"), plan  # no sort above the pages
