"""createModel, updateModel, deleteModel, createModelVersion, updateModelVersion."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from strawberry.relay import to_base64

from tests.ai_models.helpers import audit_actions, count
from tests.factories.ai_models import make_model, make_model_version
from tests.factories.datasets import make_file
from tests.factories.deployments import make_deployment
from tests.graphql import error_codes, gql

MODEL_FIELDS = """__typename id name provider modelType framework version description config
                  pricing capabilities status maxTokens contextWindow tags"""
CREATE = f"""
mutation ($input: CreateModelInput!) {{
  createModel(input: $input) {{ model {{ {MODEL_FIELDS} }} userErrors {{ field message code }} }}
}}"""
UPDATE = f"""
mutation ($input: UpdateModelInput!) {{
  updateModel(input: $input) {{ model {{ {MODEL_FIELDS} }} userErrors {{ field message code }} }}
}}"""
DELETE = """
mutation ($id: ID!) {
  deleteModel(input: {id: $id}) { deletedModelId userErrors { field message code } }
}"""
VERSION_FIELDS = "__typename version description status storageLocation sizeBytes isDefault"
CREATE_VERSION = f"""
mutation ($input: CreateModelVersionInput!) {{
  createModelVersion(input: $input) {{
    modelVersion {{ {VERSION_FIELDS} model {{ name }} }} userErrors {{ field message code }}
  }}
}}"""
UPDATE_VERSION = f"""
mutation ($input: UpdateModelVersionInput!) {{
  updateModelVersion(input: $input) {{
    modelVersion {{ {VERSION_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
NODE = "query ($id: ID!) { node(id: $id) { id } }"
MODELS = "{ models { totalCount edges { node { name } } } }"


def gid(type_name: str, row) -> str:
    return to_base64(type_name, row.id)


def model_input(world, **overrides) -> dict:
    return {"organizationId": world.acme_id, "name": "support-bot", "provider": "openai_compatible",
            "modelType": "chat", "config": {"base_url": "https://llm.example.com/v1",
                                            "api_key": "sk-very-secret"},
            "pricing": {"input_per_1k": 0.5, "output_per_1k": 1.5, "currency": "USD"},
            "contextWindow": 8192, "maxTokens": 1024, "tags": ["support", " support", "team"],
            "capabilities": ["chat"], **overrides}


# -- createModel ---------------------------------------------------------------------------


async def test_a_member_creates_a_model_and_the_trail_hides_its_key(client, db, world) -> None:
    # given a member of acme
    # when they create a model with an API key in its config
    body = await gql(client, CREATE, {"input": model_input(world)}, headers=world.member)

    # then the model comes back with the key masked, and one audit row records it
    payload = body["data"]["createModel"]
    assert payload["userErrors"] == []
    assert {k: v for k, v in payload["model"].items() if k != "id"} == {
        "__typename": "AiModel", "name": "support-bot", "provider": "openai_compatible",
        "modelType": "chat", "framework": None, "version": None, "description": None,
        "config": {"base_url": "https://llm.example.com/v1", "api_key": "***"},
        "pricing": {"input_per_1k": 0.5, "output_per_1k": 1.5, "currency": "USD"},
        "capabilities": ["chat"], "status": "ACTIVE", "maxTokens": 1024, "contextWindow": 8192,
        "tags": ["support", "team"]}
    stored = await db.fetch("SELECT config->>'api_key', created_by FROM ai_models")
    assert stored[0][0] == "sk-very-secret" and stored[0][1] is not None
    assert await audit_actions(db) == ["model.create"]
    trail = await db.fetch("SELECT new_values::text, resource_type FROM audit_logs")
    assert "sk-very-secret" not in trail[0][0] and trail[0][1] == "AiModel"


async def test_every_problem_of_a_new_model_comes_back_at_once(client, db, world) -> None:
    # given a member, and input wrong in many ways
    bad = model_input(world, name="  ", provider="openia", modelType="llm",
                      config={"api_key": 42}, pricing={"input_per_1k": -1, "extra": 1},
                      contextWindow=0, maxTokens=20_000_000, tags=["x" * 51])

    # when they try to create the model
    body = await gql(client, CREATE, {"input": bad}, headers=world.member)

    # then each problem is a userError, and nothing is written
    payload = body["data"]["createModel"]
    assert payload["model"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "name"], "REQUIRED"),
        (["input", "provider"], "INVALID"),
        (["input", "modelType"], "INVALID"),
        (["input", "pricing"], "INVALID"),
        (["input", "pricing"], "OUT_OF_RANGE"),
        (["input", "pricing"], "INVALID"),
        (["input", "maxTokens"], "OUT_OF_RANGE"),
        (["input", "contextWindow"], "OUT_OF_RANGE"),
        (["input", "tags"], "INVALID"),
        (["input", "config"], "INVALID"),
    ]
    assert payload["userErrors"][9]["message"] == "config.api_key must be a string"
    assert await count(db, "ai_models") == 0 and await count(db, "audit_logs") == 0


async def test_config_and_token_limits_are_checked_against_each_other(client, world) -> None:
    body = await gql(client, CREATE, {"input": model_input(
        world, config={"base_url": "ftp://x"}, contextWindow=100, maxTokens=200,
        pricing="cheap")}, headers=world.member)

    assert [(e["field"], e["message"]) for e in body["data"]["createModel"]["userErrors"]] == [
        (["input", "pricing"], "pricing must be a JSON object"),
        (["input", "config"], "config.base_url must be an http:// or https:// URL"),
        (["input", "maxTokens"], "maxTokens must not exceed contextWindow"),
    ]


async def test_a_name_is_unique_among_the_organizations_live_models(
    client, db, session, world
) -> None:
    # given a live model "taken" and a deleted model "gone" in acme, and "taken" elsewhere
    await make_model(session, organization=world.acme, name="taken")
    await make_model(session, organization=world.acme, name="gone",
                     deleted_at=datetime.now(UTC))
    await make_model(session, organization=world.other, name="elsewhere")
    await session.commit()

    # when the member creates models with those names
    taken = await gql(client, CREATE, {"input": model_input(world, name="taken")},
                      headers=world.member)
    reused = await gql(client, CREATE, {"input": model_input(world, name="gone")},
                       headers=world.member)
    other = await gql(client, CREATE, {"input": model_input(world, name="elsewhere")},
                      headers=world.member)

    # then only the live name of acme is refused
    assert taken["data"]["createModel"] == {"model": None, "userErrors": [{
        "field": ["input", "name"], "code": "TAKEN",
        "message": "A model with this name exists in the organization"}]}
    assert reused["data"]["createModel"]["model"]["name"] == "gone"
    assert other["data"]["createModel"]["model"]["name"] == "elsewhere"
    assert await count(db, "ai_models") == 5


async def test_viewers_are_forbidden_and_outsiders_find_nothing(client, db, world) -> None:
    viewer = await gql(client, CREATE, {"input": model_input(world)}, headers=world.viewer)
    outsider = await gql(client, CREATE, {"input": model_input(world)}, headers=world.outsider)
    anonymous = await gql(client, CREATE, {"input": model_input(world)})

    assert viewer["data"] is None and error_codes(viewer) == ["FORBIDDEN"]
    assert outsider["data"] is None and error_codes(outsider) == ["NOT_FOUND"]
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    assert await count(db, "ai_models") == 0 and await count(db, "audit_logs") == 0


# -- updateModel ---------------------------------------------------------------------------


async def test_update_changes_sent_fields_clears_nulls_and_keeps_absent_ones(
    client, db, session, world
) -> None:
    # given a model with a description, a framework and a secret key
    model = await make_model(session, organization=world.acme, name="m", description="old",
                             framework="vllm", provider="openai_compatible",
                             config={"base_url": "http://llm:8000", "api_key": "sk-1"})
    await session.commit()

    # when the member sends a new name, description: null, the config as read (key masked),
    # and nothing for framework
    body = await gql(client, UPDATE, {"input": {
        "id": gid("AiModel", model), "name": "m2", "description": None,
        "config": {"base_url": "http://llm:9000", "api_key": "***"}}}, headers=world.member)

    # then name and config change, description is cleared, framework and the key stay
    payload = body["data"]["updateModel"]
    assert payload["userErrors"] == []
    assert (payload["model"]["name"], payload["model"]["description"],
            payload["model"]["framework"]) == ("m2", None, "vllm")
    assert payload["model"]["config"] == {"base_url": "http://llm:9000", "api_key": "***"}
    row = (await db.fetch("SELECT name, description, framework, config::text FROM ai_models"))[0]
    assert (row[0], row[1], row[2]) == ("m2", None, "vllm")
    assert orjson.loads(row[3]) == {"base_url": "http://llm:9000", "api_key": "sk-1"}
    trail = await db.fetch("SELECT action, old_values::text, new_values::text FROM audit_logs")
    assert [t[0] for t in trail] == ["model.update"]
    assert orjson.loads(trail[0][1]) == {
        "name": "m", "description": "old",
        "config": {"base_url": "http://llm:8000", "api_key": "***"}}
    assert "sk-1" not in trail[0][1] + trail[0][2]


async def test_an_update_checks_only_what_it_touches(client, db, session, world) -> None:
    # given a model whose pricing predates the pricing rules
    model = await make_model(session, organization=world.acme, name="legacy",
                             pricing={"input": 2.5, "unit": "1M tokens"})
    await session.commit()

    # when the member renames it, then switches it to openai_compatible without a base_url
    renamed = await gql(client, UPDATE, {"input": {"id": gid("AiModel", model),
                                                   "tags": ["old"]}}, headers=world.member)
    switched = await gql(client, UPDATE, {"input": {"id": gid("AiModel", model),
                                                    "provider": "openai_compatible"}},
                         headers=world.member)

    # then the rename works, the switch reports the config it now lacks and changes nothing
    assert renamed["data"]["updateModel"]["model"]["tags"] == ["old"]
    assert switched["data"]["updateModel"] == {"model": None, "userErrors": [{
        "field": ["input", "config"], "code": "REQUIRED",
        "message": "config.base_url is required for openai_compatible (an http(s) URL)"}]}
    assert (await db.fetch("SELECT provider FROM ai_models"))[0][0] == "local"
    assert await audit_actions(db) == ["model.update"]


async def test_update_to_a_taken_name_is_refused(client, db, session, world) -> None:
    await make_model(session, organization=world.acme, name="a")
    b = await make_model(session, organization=world.acme, name="b")
    await session.commit()

    body = await gql(client, UPDATE, {"input": {"id": gid("AiModel", b), "name": "a"}},
                     headers=world.member)

    assert [e["code"] for e in body["data"]["updateModel"]["userErrors"]] == ["TAKEN"]
    assert sorted(r[0] for r in await db.fetch("SELECT name FROM ai_models")) == ["a", "b"]


async def test_update_of_another_organizations_model_is_refused(
    client, db, session, world
) -> None:
    model = await make_model(session, organization=world.acme, name="m")
    await session.commit()
    variables = {"input": {"id": gid("AiModel", model), "name": "hijacked"}}

    viewer = await gql(client, UPDATE, variables, headers=world.viewer)
    outsider = await gql(client, UPDATE, variables, headers=world.outsider)
    wrong_type = await gql(client, UPDATE, {"input": {"id": to_base64("Dataset", model.id)}},
                           headers=world.member)

    assert error_codes(viewer) == ["FORBIDDEN"] and error_codes(outsider) == ["NOT_FOUND"]
    assert error_codes(wrong_type) == ["NOT_FOUND"]
    assert (await db.fetch("SELECT name FROM ai_models"))[0][0] == "m"
    assert await count(db, "audit_logs") == 0


# -- deleteModel ---------------------------------------------------------------------------


async def test_a_deleted_model_disappears_from_reads(client, db, session, world) -> None:
    # given two models of acme
    model = await make_model(session, organization=world.acme, name="doomed")
    await make_model(session, organization=world.acme, name="kept")
    await session.commit()

    # when the member deletes one
    body = await gql(client, DELETE, {"id": gid("AiModel", model)}, headers=world.member)
    again = await gql(client, DELETE, {"id": gid("AiModel", model)}, headers=world.member)

    # then it is soft-deleted: gone from node() and models, still in the table
    assert body["data"]["deleteModel"] == {"deletedModelId": gid("AiModel", model),
                                           "userErrors": []}
    assert error_codes(again) == ["NOT_FOUND"]
    node = await gql(client, NODE, {"id": gid("AiModel", model)}, headers=world.member)
    models = await gql(client, MODELS, headers=world.member)
    assert node["data"] == {"node": None}
    assert models["data"]["models"] == {"totalCount": 1, "edges": [{"node": {"name": "kept"}}]}
    assert (await db.fetch("SELECT deleted_at IS NOT NULL FROM ai_models WHERE name = 'doomed'")
            )[0][0] is True
    assert await audit_actions(db) == ["model.delete"]


async def test_a_model_with_a_running_deployment_is_not_deleted(
    client, db, session, world
) -> None:
    model = await make_model(session, organization=world.acme)
    version = await make_model_version(session, model=model, status="production")
    await make_deployment(session, model_version=version, status="running")
    await session.commit()

    body = await gql(client, DELETE, {"id": gid("AiModel", model)}, headers=world.member)
    viewer = await gql(client, DELETE, {"id": gid("AiModel", model)}, headers=world.viewer)

    assert [e["code"] for e in body["data"]["deleteModel"]["userErrors"]] == ["IN_USE"]
    assert error_codes(viewer) == ["FORBIDDEN"]
    assert (await db.fetch("SELECT deleted_at FROM ai_models"))[0][0] is None


# -- model versions ------------------------------------------------------------------------


async def test_a_new_version_is_a_draft_and_its_number_is_unique(
    client, db, session, world
) -> None:
    # given a model and a file of acme
    model = await make_model(session, organization=world.acme, name="m")
    file = await make_file(session, organization=world.acme)
    await session.commit()
    variables = {"input": {"modelId": gid("AiModel", model), "version": "1.0.0",
                           "storageLocation": "s3://models/m/1.0.0/", "sizeBytes": 3 * 2**30,
                           "fileId": gid("File", file), "metrics": {"acc": 0.9}}}

    # when the member creates version 1.0.0 twice
    first = await gql(client, CREATE_VERSION, variables, headers=world.member)
    second = await gql(client, CREATE_VERSION, variables, headers=world.member)

    # then the first is a draft, the second is refused
    assert first["data"]["createModelVersion"] == {"userErrors": [], "modelVersion": {
        "__typename": "ModelVersion", "version": "1.0.0", "description": None,
        "status": "DRAFT", "storageLocation": "s3://models/m/1.0.0/", "sizeBytes": 3 * 2**30,
        "isDefault": False, "model": {"name": "m"}}}
    assert second["data"]["createModelVersion"] == {"modelVersion": None, "userErrors": [{
        "field": ["input", "version"], "code": "TAKEN",
        "message": "This model already has a version '1.0.0'"}]}
    assert (await db.fetch("SELECT file_id FROM model_versions"))[0][0] == file.id
    assert await audit_actions(db) == ["model_version.create"]


async def test_a_version_cannot_point_outside_its_organization(
    client, db, session, world
) -> None:
    model = await make_model(session, organization=world.acme)
    foreign_file = await make_file(session, organization=world.other)
    await session.commit()

    foreign = await gql(client, CREATE_VERSION, {"input": {
        "modelId": gid("AiModel", model), "version": "1", "fileId": gid("File", foreign_file)}},
        headers=world.member)
    invalid = await gql(client, CREATE_VERSION, {"input": {
        "modelId": gid("AiModel", model), "version": "-bad", "sizeBytes": -1,
        "metrics": [1]}}, headers=world.member)
    viewer = await gql(client, CREATE_VERSION, {"input": {
        "modelId": gid("AiModel", model), "version": "1"}}, headers=world.viewer)
    outsider = await gql(client, CREATE_VERSION, {"input": {
        "modelId": gid("AiModel", model), "version": "1"}}, headers=world.outsider)

    assert error_codes(foreign) == ["NOT_FOUND"]
    assert [(e["field"], e["code"]) for e in invalid["data"]["createModelVersion"]["userErrors"]
            ] == [(["input", "version"], "INVALID"), (["input", "sizeBytes"], "OUT_OF_RANGE"),
                  (["input", "metrics"], "INVALID")]
    assert error_codes(viewer) == ["FORBIDDEN"] and error_codes(outsider) == ["NOT_FOUND"]
    assert await count(db, "model_versions") == 0 and await count(db, "audit_logs") == 0


async def test_only_a_drafts_artefacts_can_change(client, db, session, world) -> None:
    # given a draft and a production version
    model = await make_model(session, organization=world.acme)
    draft = await make_model_version(session, model=model, version="2", status="draft")
    live = await make_model_version(session, model=model, version="1", status="production",
                                    storage_location="s3://v1")
    await session.commit()

    # when the member changes the storage of both, and the description of the live one
    moved = await gql(client, UPDATE_VERSION, {"input": {
        "id": gid("ModelVersion", draft), "storageLocation": "s3://v2", "sizeBytes": None}},
        headers=world.member)
    locked = await gql(client, UPDATE_VERSION, {"input": {
        "id": gid("ModelVersion", live), "storageLocation": "s3://elsewhere",
        "description": "nope"}}, headers=world.member)
    described = await gql(client, UPDATE_VERSION, {"input": {
        "id": gid("ModelVersion", live), "description": "serves prod",
        "storageLocation": "s3://v1"}}, headers=world.member)

    # then the draft moves, the production version keeps its artefacts
    assert moved["data"]["updateModelVersion"]["modelVersion"]["storageLocation"] == "s3://v2"
    assert locked["data"]["updateModelVersion"] == {"modelVersion": None, "userErrors": [{
        "field": ["input", "storageLocation"], "code": "VERSION_LOCKED",
        "message": "storageLocation can change only while the version is a draft; it is "
                   "production"}]}
    assert described["data"]["updateModelVersion"]["modelVersion"]["description"] == \
        "serves prod"
    rows = await db.fetch("SELECT version, storage_location, description FROM model_versions "
                          "ORDER BY version")
    assert [tuple(r) for r in rows] == [("1", "s3://v1", "serves prod"), ("2", "s3://v2", None)]
    assert await audit_actions(db) == ["model_version.update", "model_version.update"]
