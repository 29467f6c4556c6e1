"""Search by words in Chinese: words and two-character words found, mixed Chinese and English,
highlights that mark the matched words alone, ranking by relevance; in chat messages, system
logs (written by the ORM and by the log writer) and knowledge chunks (by the worker)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import pytest

from db.models.knowledge import KnowledgeChunk
from db.search_text import PARTS, SEPARATOR, query_words, search_query, search_text
from services.knowledge.worker import IngestionWorker
from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user
from tests.factories.knowledge import make_collection, make_document
from tests.factories.system import make_system_log
from tests.graphql import gql
from tests.search.test_search import _chat, gid, hit_ids, search

FAULT = "模型训练出现故障，工程师正在检查电源模块。"
GUIDE = "故障排除：先检查充电桩电源，再检查故障代码。"
WEATHER = "今天天气很好，我们去公园散步。"
MIXED = "GPU训练在budget review时出现故障"

LOGS = """query ($q: String!) { search(query: $q, types: [SYSTEM_LOG]) { edges { node {
  score highlight node { ... on SystemLog { id message } } } } } }"""


@dataclass
class Messages:
    fault: Any
    guide: Any
    weather: Any
    mixed: Any
    headers: dict[str, str]


@pytest.fixture
async def messages(app, session) -> Messages:
    org, user = await make_organization(session), await make_user(session)
    await make_membership(session, organization=org, user=user, role="viewer")
    rows = await _chat(session, org, user, [FAULT, GUIDE, WEATHER, MIXED])
    await session.commit()
    return Messages(*rows, headers=await bearer_headers(app, session, user))


async def find(client, messages: Messages, q: str) -> list[str]:
    return hit_ids(await search(client, messages.headers, q, types=["CHAT_MESSAGE"]))


def ids(*rows: Any) -> list[str]:
    return [gid("ChatMessage", row) for row in rows]


def test_text_is_cut_into_words_and_given_back_whole() -> None:
    assert search_text("plain English, naïve café") is None  # nothing to cut: the text is read
    cut = search_text(MIXED)
    assert cut is not None and cut.replace(SEPARATOR, "") == MIXED
    assert cut.split(SEPARATOR) == ["GPU", "训练", "在", "budget review", "时", "出现", "故障", ""]
    shown, parts = search_text(WEATHER).split(PARTS)  # 今天天气 is one word, 天气 in it
    assert shown.replace(SEPARATOR, "") == WEATHER and "天气" in parts.split(SEPARATOR)
    assert search_query('"模型训练" -故障 GPU训练') == '"模型 训练" -故障 GPU 训练'
    assert query_words("GPU训练，budget") == ["gpu", "训练", "budget"]


async def test_words_and_two_character_words_are_found_and_ranked(client, messages) -> None:
    result = await search(client, messages.headers, "故障", types=["CHAT_MESSAGE"])
    # the guide names the word twice: first; of the two that name it once, the shorter text
    assert hit_ids(result) == ids(messages.guide, messages.mixed, messages.fault)
    scores = [e["node"]["score"] for e in result["edges"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1] > 1
    assert await find(client, messages, "训练") == ids(messages.mixed, messages.fault)
    assert await find(client, messages, "天气") == ids(messages.weather)
    assert await find(client, messages, "充电") == ids(messages.guide)  # in 充电桩
    assert await find(client, messages, "电源模块") == ids(messages.fault)
    assert await find(client, messages, "模型训练") == ids(messages.fault)  # two words, cut
    assert await find(client, messages, "训练 天气") == []  # both words, in no one text


async def test_the_highlight_marks_the_matched_words_only(client, messages) -> None:
    result = await search(client, messages.headers, "故障 检查", types=["CHAT_MESSAGE"])
    highlights = {e["node"]["node"]["id"]: e["node"]["highlight"] for e in result["edges"]}
    assert highlights == {
        ids(messages.guide)[0]: "<mark>故障</mark>排除：先<mark>检查</mark>充电桩电源，"
                                "再<mark>检查</mark><mark>故障</mark>代码。",
        ids(messages.fault)[0]: "模型训练出现<mark>故障</mark>，工程师正在<mark>检查</mark>"
                                "电源模块。",
    }


async def test_mixed_chinese_and_english_in_one_text(client, messages) -> None:
    assert await find(client, messages, "GPU") == ids(messages.mixed)
    assert await find(client, messages, "budgets") == ids(messages.mixed)  # English stems
    assert await find(client, messages, "GPU训练") == ids(messages.mixed)
    assert await find(client, messages, "reviewing 故障") == ids(messages.mixed)
    result = await search(client, messages.headers, "gpu budgets 故障", types=["CHAT_MESSAGE"])
    assert [e["node"]["highlight"] for e in result["edges"]] == [
        "<mark>GPU</mark>训练在<mark>budget</mark> review时出现<mark>故障</mark>"]


async def test_phrases_and_excluded_words(client, messages) -> None:
    assert await find(client, messages, '"模型训练"') == ids(messages.fault)
    assert await find(client, messages, '"训练模型"') == []  # the words, not in that order
    assert await find(client, messages, "故障 -模型") == ids(messages.guide, messages.mixed)
    assert await find(client, messages, "故障 -budget") == ids(messages.guide, messages.fault)


async def test_system_logs_by_words_from_the_orm_and_from_the_log_writer(
    app, client, session
) -> None:
    stored = await make_system_log(session, message="向量存储连接超时，正在重试")
    await make_system_log(session, message="存储空间不足")
    root = await make_user(session, username="zh-search-root")
    root.is_superuser = True
    await session.commit()
    headers = await bearer_headers(app, session, root)
    logging.getLogger("aiplatform.tests").warning("数据集上传失败：文件超时 %s", "a.csv")
    await asyncio.wait_for(app.state.system_log.flush(), timeout=10)

    body = await gql(client, LOGS, {"q": "超时"}, headers=headers)
    hits = [e["node"] for e in body["data"]["search"]["edges"]]
    assert sorted(h["node"]["message"] for h in hits) == [
        "向量存储连接超时，正在重试", "数据集上传失败：文件超时 a.csv"]
    body = await gql(client, LOGS, {"q": "重试"}, headers=headers)
    [hit] = [e["node"] for e in body["data"]["search"]["edges"]]
    assert hit["node"]["id"] == gid("SystemLog", stored)
    assert hit["highlight"] == "向量存储连接超时，正在<mark>重试</mark>"


async def test_knowledge_chunks_by_words_from_the_orm_and_from_the_worker(
    app, client, db, session
) -> None:
    org, user = await make_organization(session), await make_user(session)
    await make_membership(session, organization=org, user=user, role="viewer")
    collection = await make_collection(session, organization=org)
    written = await make_document(session, collection=collection, filename="charging.txt")
    session.add(KnowledgeChunk(
        organization_id=org.id, collection_id=collection.id, document_id=written.id,
        position=0, content="直流快充桩的充电功率为120千瓦。", embedding=[1.0] + [0.0] * 383))
    ingested = await make_document(session, collection=collection, filename="faults.txt",
                                   upload_status="uploading",
                                   content="充电桩故障代码E42表示充电功率模块过热。")
    await session.commit()
    await IngestionWorker(db, None).drain()  # the document_processing job, run here
    headers = await bearer_headers(app, session, user)

    def documents(result: dict[str, Any]) -> list[str]:
        return hit_ids(result)

    found = await search(client, headers, "充电功率", types=["KNOWLEDGE_DOCUMENT"])
    assert set(documents(found)) == {gid("KnowledgeDocument", written),
                                     gid("KnowledgeDocument", ingested)}
    found = await search(client, headers, "过热", types=["KNOWLEDGE_DOCUMENT"])
    assert documents(found) == [gid("KnowledgeDocument", ingested)]
    assert found["edges"][0]["node"]["highlight"] == (
        "充电桩故障代码E42表示充电功率模块<mark>过热</mark>。")
