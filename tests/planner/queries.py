"""Queries for the differential test: a hand-written corpus and a seeded generator.

The generator walks the GraphQL schema from the root: random subsets of a type's fields,
aliases, inline and named fragments, `__typename`, `@include`/`@skip` on variables, and
connection arguments (page sizes, cursors' absence or presence, filters, orders) given as
literals or variables. Mostly fields the planner covers, a few it does not (the answer must
then come from strawberry, and still be the same).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
)

from graphql_schema.planner.catalog import (
    Column,
    GlobalId,
    RootNode,
    ToMany,
    ToOne,
    field_spec,
    strawberry_field,
)

NESTED = """
query Nested($orgs: Int = 10, $members: Int = 10, $sessions: Int = 5, $messages: Int = 10) {
  organizations(first: $orgs) {
    edges { node {
      name
      members(first: $members) {
        edges { node {
          role
          user {
            username
            chatSessions(first: $sessions) {
              edges { node {
                title
                model { name }
                messages(first: $messages) { edges { node { role content } } }
              } }
            }
          }
        } }
      }
    } }
  }
}
"""
SIMPLE = """
query Simple($limit: Int = 20) { organizations(first: $limit) { edges { node { name slug } } } }
"""

FRAGMENTS = """
query Frag($withSlug: Boolean!, $skipRole: Boolean!) {
  __typename
  orgs: organizations(first: 3, orderBy: {field: NAME, direction: DESC}) {
    __typename totalCount
    pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
    edges { __typename cursor node { ...OrgParts id } }
    edges { node { slug @include(if: $withSlug) createdAt } }
  }
}
fragment OrgParts on Organization {
  __typename name slug @skip(if: true)
  settings isActive
  members(first: 2) { totalCount edges { node { ... on Membership { role @skip(if: $skipRole) }
    user { ... UserParts } organization { name } } } }
}
fragment UserParts on User { id username email status createdAt lastLoginAt isSuperuser }
"""

PAGES = """
query Pages($first: Int, $after: String, $last: Int, $before: String) {
  users(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { username } }
  }
}
"""

FILTERS = """
query Filters($roles: [MembershipRole!], $text: String) {
  organizations(first: 5, filter: {nameContains: $text}) {
    edges { node { name
      members(first: 20, filter: {roleIn: $roles}, orderBy: {field: CREATED_AT, direction: DESC}) {
        totalCount edges { cursor node { role createdAt } }
      }
    } }
  }
  models(first: 3, orderBy: {field: NAME, direction: ASC}) {
    edges { node { name config tags status pricing organization { slug } } }
  }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) { __typename id ... on User { username chatSessions(first: 2) { totalCount } }
                  ... on Organization { name members(first: 1) { edges { node { role } } } }
                  ... on AiModel { name config versions(first: 2) { edges { node { version } } } }
                  ... on ChatSession { title config user { username } model { name } } }
}
"""

NODES = """
query Nodes($ids: [ID!]!) {
  nodes(ids: $ids) { id __typename ... on Membership { role user { username } } }
}
"""

DEEP_CHAT = """
{ chatSessions(first: 4, orderBy: {field: CREATED_AT, direction: ASC}) {
    edges { node { id title status messageCount totalTokens lastMessageAt config
      organization { name }
      messages(last: 3) { pageInfo { hasPreviousPage startCursor }
        edges { cursor node { id role content contentType metadata promptTokens sequenceNumber
          parent { id } children(first: 1) { totalCount } session { id } } } } } } } }
"""

UNPLANNABLE = """
{ viewer { username } organizations(first: 2) { edges { node { name } } } }
"""


@dataclass
class Generator:
    """Random queries over the schema from `seed`; `ids` are global IDs node() may ask for."""

    schema: GraphQLSchema
    strawberry_schema: Any
    ids: list[str]
    seed: int
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def query(self) -> tuple[str, dict[str, Any]]:
        self.fragments: dict[str, str] = {}
        self.variables: dict[str, tuple[str, Any]] = {}
        query_type = self.schema.query_type
        assert query_type is not None
        roots = [n for n, f in query_type.fields.items() if self._plannable_root(n, f)]
        parts = []
        for _ in range(self.rng.choice([1, 1, 2])):
            name = self.rng.choice(roots)
            parts.append(self.root_field(name, query_type.fields[name]))
        if self.rng.random() < 0.03:
            parts.append("viewer { username }")  # not plannable: the whole query falls back
        definitions = ", ".join(f"${n}: {t}" for n, (t, _) in self.variables.items())
        header = f"query Q({definitions})" if definitions else "query Q"
        text = header + " { " + " ".join(parts) + " }\n" + "\n".join(self.fragments.values())
        return text, {n: v for n, (_, v) in self.variables.items()}

    def _plannable_root(self, name: str, gfield: Any) -> bool:
        owner = self.strawberry_schema.get_type_by_name("Query")
        return isinstance(field_spec(owner, strawberry_field(gfield)), ToMany | RootNode)

    def root_field(self, name: str, gfield: Any) -> str:
        alias = self.alias()
        if name == "node":
            return f"{alias}node(id: {self.id_literal()}) {{ {self.interface()} }}"
        if name == "nodes":
            ids = ", ".join(self.id_literal() for _ in range(self.rng.randint(1, 3)))
            return f"{alias}nodes(ids: [{ids}]) {{ {self.interface()} }}"
        return alias + name + self.connection(gfield, depth=0)

    def id_literal(self) -> str:
        value = self.rng.choice(self.ids)
        if self.rng.random() < 0.3:
            return self.variable("ID!", value)
        return f'"{value}"'

    def interface(self) -> str:
        parts = ["__typename"] if self.rng.random() < 0.5 else ["id"]
        for type_ in self.rng.sample(self._node_types(), 3):
            parts.append(f"... on {type_.name} {{ {self.selection(type_, depth=1)} }}")
        return " ".join(parts)

    def _node_types(self) -> list[GraphQLObjectType]:
        node = self.schema.get_type("Node")
        assert isinstance(node, GraphQLInterfaceType)
        return list(self.schema.get_possible_types(node))

    def alias(self) -> str:
        return f"a{self.rng.randint(0, 999)}: " if self.rng.random() < 0.15 else ""

    def variable(self, type_: str, value: Any) -> str:
        name = f"v{len(self.variables)}"
        self.variables[name] = (type_, value)
        return f"${name}"

    def directive(self) -> str:
        roll = self.rng.random()
        if roll < 0.05:
            return f" @include(if: {self.variable('Boolean!', self.rng.random() < 0.5)})"
        if roll < 0.08:
            return f" @skip(if: {'true' if self.rng.random() < 0.5 else 'false'})"
        return ""

    def selection(self, type_: GraphQLObjectType, depth: int) -> str:
        owner = self.strawberry_schema.get_type_by_name(type_.name)
        fields = list(type_.fields.items())
        picked = self.rng.sample(fields, min(len(fields), self.rng.randint(1, 4)))
        parts = []
        for name, gfield in picked:
            spec = field_spec(owner, strawberry_field(gfield))
            text = self.field(name, gfield, spec, depth)
            if text:
                parts.append(self.alias() + text + self.directive())
        if self.rng.random() < 0.1:
            parts.append("__typename")
        if not parts:
            parts.append("id")
        body = " ".join(parts)
        roll = self.rng.random()
        if roll < 0.1:
            return f"... on {type_.name} {{ {body} }}"
        if roll < 0.18:
            fragment = f"F{len(self.fragments)}"
            self.fragments[fragment] = f"fragment {fragment} on {type_.name} {{ {body} }}"
            return f"...{fragment} id"
        return body

    def field(self, name: str, gfield: Any, spec: Any, depth: int) -> str:
        if isinstance(spec, Column | GlobalId):
            return name
        if isinstance(spec, ToOne):
            if depth >= 3:
                return ""
            return f"{name} {{ {self.selection(_named(gfield.type), depth + 1)} }}"
        if isinstance(spec, ToMany):
            return "" if depth >= 3 else name + self.connection(gfield, depth + 1)
        if spec is None and _is_leaf(gfield.type) and not gfield.args and self.rng.random() < 0.05:
            return name  # a field the planner does not cover (a custom resolver)
        return ""

    def connection(self, gfield: Any, depth: int) -> str:
        args = self.connection_args(gfield)
        conn = _named(gfield.type)
        node_type = _named(_named(conn.fields["edges"].type).fields["node"].type)
        parts = [f"edges {{ {'cursor ' if self.rng.random() < 0.3 else ''}"
                 f"node {{ {self.selection(node_type, depth)} }} }}"]
        if self.rng.random() < 0.3:
            parts.append("totalCount")
        if self.rng.random() < 0.3:
            info = ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"]
            parts.append("pageInfo { " + " ".join(self.rng.sample(info, 2)) + " }")
        self.rng.shuffle(parts)
        return f"{args} {{ {' '.join(parts)} }}"

    def connection_args(self, gfield: Any) -> str:
        args = []
        size = self.rng.choice([None, 0, 1, 2, 3, 5, 10])
        if size is not None:
            key = "last" if self.rng.random() < 0.2 else "first"
            value = self.variable("Int", size) if self.rng.random() < 0.3 else str(size)
            args.append(f"{key}: {value}")
        order = gfield.args.get("orderBy")
        if order is not None and self.rng.random() < 0.3:
            order_type = _named(order.type)
            values = list(_named(order_type.fields["field"].type).values)
            direction = self.rng.choice(["ASC", "DESC"])
            args.append(f"orderBy: {{field: {self.rng.choice(values)}, direction: {direction}}}")
        filter_ = gfield.args.get("filter")
        if filter_ is not None and self.rng.random() < 0.3:
            literal = self.filter_literal(_named(filter_.type))
            if literal:
                args.append(f"filter: {{{literal}}}")
        return f"({', '.join(args)})" if args else ""

    def filter_literal(self, type_: GraphQLInputObjectType) -> str:
        for name, input_field in self.rng.sample(list(type_.fields.items()), len(type_.fields)):
            t = input_field.type
            inner = t.of_type if isinstance(t, GraphQLNonNull) else t
            if isinstance(inner, GraphQLList) and isinstance(_named(inner), GraphQLEnumType):
                values = list(_named(inner).values)
                return f"{name}: [{', '.join(self.rng.sample(values, min(2, len(values))))}]"
            if isinstance(inner, GraphQLEnumType):
                return f"{name}: {self.rng.choice(list(inner.values))}"
            if inner is GraphQLString and name.endswith("Contains"):
                return f'{name}: "{self.rng.choice("aeiou")}"'
            if inner is GraphQLBoolean:
                return f"{name}: {'true' if self.rng.random() < 0.5 else 'false'}"
        return ""


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _is_leaf(type_: Any) -> bool:
    return not isinstance(_named(type_), GraphQLObjectType | GraphQLInterfaceType)
