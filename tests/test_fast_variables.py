"""Compiled variable coercion (graphql_schema/fast_variables.py) against graphql-core's own:
the same coerced values for what it takes, and for anything else graphql-core's errors."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse
from graphql.execution import executor
from graphql.execution.values import VariableValues, get_variable_values

from graphql_schema import fast_variables
from graphql_schema.schema import build_schema

REPORT = parse("mutation R($input: ReportRunMetricsInput!) { reportRunMetrics(input: $input) "
               "{ accepted } }")
REPORT_AND_NAME = parse("mutation R($input: ReportRunMetricsInput!, $n: String) { "
                        "reportRunMetrics(input: $input) { accepted } }")
OTHER = parse("mutation C($input: CompleteRunInput!) { completeRun(input: $input) "
              "{ run { id } } }")

POINT = {"step": 3, "epoch": 1, "loss": 0.5, "accuracy": 0.25, "learningRate": 3e-4,
         "gpuMemoryMb": 812.5, "custom": {"f1": 0.1, "nested": {"a": [1, {"b": None}]}}}

# values the compiled path takes: every field, only the required one, nulls, ints for floats,
# several points, an ID given as a number
TAKEN = [
    {"runId": "UnVuOjE=", "points": [POINT]},
    {"runId": "UnVuOjE=", "points": [{"step": 0}]},
    {"runId": "UnVuOjE=", "points": [{"step": 1, "epoch": None, "loss": None, "custom": None}]},
    {"runId": "UnVuOjE=", "points": [{"step": 2, "loss": 2, "accuracy": 0, "gpuMemoryMb": -7}]},
    {"runId": "UnVuOjE=", "points": [{**POINT, "step": s} for s in range(50)]},
    {"runId": 7, "points": []},
]
# values it leaves to graphql-core: valid ones (a point not in a list, a whole float for an Int,
# a huge int for a Float) and invalid ones (wrong types, missing, unknown fields, out of range)
LEFT = [
    {"runId": "r", "points": {"step": 1}},
    {"runId": "r", "points": [{"step": 4.0}]},
    {"runId": "r", "points": [{"step": 1, "loss": 2**60 + 1}]},
    {"runId": "r", "points": [{"step": "1"}]},
    {"runId": "r", "points": [{"step": 1.5}]},
    {"runId": "r", "points": [{"step": True}]},
    {"runId": "r", "points": [{"step": 2**31}]},
    {"runId": "r", "points": [{"step": 1, "loss": "low"}]},
    {"runId": "r", "points": [{"step": 1, "epoch": False}]},
    {"runId": "r", "points": [{"epoch": 1}]},
    {"runId": "r", "points": [{"step": None}]},
    {"runId": "r", "points": [{"step": 1, "color": "red"}]},
    {"runId": "r", "points": [None]},
    {"runId": "r", "points": None},
    {"runId": None, "points": []},
    {"points": []},
    {"runId": "r", "points": [POINT], "extra": 1},
    {"runId": True, "points": []},
    "not an object",
]


@pytest.fixture(scope="module")
def schema(settings):  # type: ignore[no-untyped-def]
    return build_schema(settings)._schema


def definitions(document):  # type: ignore[no-untyped-def]
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.variable_definitions


def both(schema, document, inputs: dict[str, Any]):  # type: ignore[no-untyped-def]
    nodes = definitions(document)
    return (fast_variables.fast_get_variable_values(schema, nodes, inputs),
            get_variable_values(schema, nodes, inputs))


def test_the_executor_coerces_variables_through_the_compiled_path() -> None:
    assert executor.get_variable_values is fast_variables.fast_get_variable_values  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", TAKEN)
def test_a_value_it_takes_is_coerced_as_graphql_core_does(schema, value) -> None:
    fast, reference = both(schema, REPORT, {"input": value})

    assert fast_variables.coerce_fast(schema, definitions(REPORT), {"input": value}) is not None
    assert isinstance(fast, VariableValues) and isinstance(reference, VariableValues)
    assert fast.coerced == reference.coerced
    assert {k: v.value for k, v in fast.sources.items()} == {"input": value}


@pytest.mark.parametrize("value", LEFT)
def test_anything_else_gets_graphql_cores_answer_and_errors(schema, value) -> None:
    fast, reference = both(schema, REPORT, {"input": value})

    assert fast_variables.coerce_fast(schema, definitions(REPORT), {"input": value}) is None
    if isinstance(reference, VariableValues):
        assert isinstance(fast, VariableValues) and fast.coerced == reference.coerced
    else:
        assert [e.formatted for e in fast] == [e.formatted for e in reference]  # type: ignore[union-attr]
        assert reference  # an error, word for word the same


def test_other_variables_of_the_operation_are_coerced_with_it(schema) -> None:
    fast, reference = both(schema, REPORT_AND_NAME, {"input": TAKEN[0], "n": "x"})
    assert fast.coerced == reference.coerced == {"input": fast.coerced["input"], "n": "x"}  # type: ignore[union-attr]

    # a variable left to its absence (no default here): graphql-core decides
    assert fast_variables.coerce_fast(schema, definitions(REPORT_AND_NAME),
                                      {"input": TAKEN[0]}) is None
    fast, reference = both(schema, REPORT_AND_NAME, {"input": TAKEN[0]})
    assert fast.coerced == reference.coerced  # type: ignore[union-attr]


def test_operations_without_a_registered_type_are_left_alone(schema) -> None:
    inputs = {"input": {"runId": "r", "summaryMetrics": {"a": 1}}}
    assert fast_variables.fast_get_variable_values(
        schema, definitions(OTHER), inputs).coerced == get_variable_values(  # type: ignore[union-attr]
        schema, definitions(OTHER), inputs).coerced  # type: ignore[union-attr]


def test_a_registered_type_goes_through_the_compiled_coercer_wherever_variables_are_coerced(
        schema, monkeypatch) -> None:
    """graphql-core's executor and the planner's known path both look the coercion up in the
    executor's module: if either stopped doing so (a graphql-core release that binds it
    elsewhere), the compiled coercer would silently stop being used. This fails loudly."""
    from graphql import Executor

    from graphql_schema.planner import door

    compiled: list[Any] = []
    original = fast_variables.coerce_fast

    def spy(*args: Any) -> Any:
        result = original(*args)
        compiled.append(result)
        return result

    monkeypatch.setattr(fast_variables, "coerce_fast", spy)
    built = Executor.build(schema, REPORT, raw_variable_values={"input": TAKEN[0]})
    known = door.get_variable_values(schema, definitions(REPORT), {"input": TAKEN[0]})

    assert isinstance(built, Executor)
    assert len(compiled) == 2 and all(isinstance(c, VariableValues) for c in compiled)
    assert built.variable_values is compiled[0] and known is compiled[1]
