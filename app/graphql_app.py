"""The GraphQL endpoint's former module name: the endpoint lives in app/http/graphql.py.
Kept for tests/planner/test_hook.py's import until it names the new module."""

from app.http.graphql import GraphQLApp

__all__ = ["GraphQLApp"]
