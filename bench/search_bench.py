#!/usr/bin/env python3
"""Search at scale: the first page of `search(types: [CHAT_MESSAGE])` over 1,000,000 messages.

    .venv/bin/python bench/search_bench.py [--messages 1000000] [--runs 20] [--data-dir DIR]

Starts its own embedded PostgreSQL in a temporary folder (or DIR, where a database loaded by an
earlier run with as many messages is reused), creates the database `search_bench`, migrates it
and loads it: one organization, one member, sessions of 100 messages, written with COPY, each
message's `search_text` cut by db/search_text.py as the server cuts it. The messages are
generated (seeded): Chinese sentences (half), English sentences (three tenths) and Chinese ones
with English words in them, 6 to 30 words drawn from a Zipf law over a vocabulary of about 170
words in each language, plus rare words put into exactly 20 messages or into one.

Each query class is ten queries (one or two words), each run `--runs` times after one warm-up
run, as the member (scoped like the server's `search`), with the statement and parameters the
resolver sends (resolvers/search/statements.py) on one connection; printed: rows matching,
p50 and p99 (nearest rank) in milliseconds, and from the server process's scheduler
statistics (Linux) the CPU time each query took and how long it waited for a CPU: on a
machine that others load, latency is mostly that wait. Then, for the frequent words, how much of the
first page the bounded candidate set gives up: the share of the exact first page (every match
ranked) that the served first page holds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from app.embedded import EmbeddedServices
from db import migrate
from db.scope import Principal
from db.search_text import search_text
from db.session import asyncpg_dsn
from resolvers.search import statements

DATABASE = "search_bench"
PAGE = 20
PER_SESSION = 100
ZH = ("充电 故障 训练 模型 电池 功率 电源 模块 工程师 检查 更换 固件 版本 升级 数据 集群 服务器 "
      "网络 延迟 用户 订单 支付 退款 客服 电话 地址 快递 物流 仓库 库存 价格 优惠 会员 积分 账户 "
      "密码 登录 注册 验证 安全 隐私 日志 告警 监控 指标 部署 容器 镜像 节点 存储 备份 恢复 迁移 "
      "数据库 索引 查询 缓存 接口 请求 响应 超时 重试 错误 异常 崩溃 重启 配置 参数 阈值 温度 电压 "
      "电流 功耗 散热 风扇 屏幕 显示 按钮 开关 插头 线缆 车辆 司机 站点 地图 导航 预约 排队 时间 "
      "费用 发票 报告 分析 统计 趋势 预测 推荐 搜索 向量 嵌入 文档 知识 问答 翻译 语音 图像 识别 "
      "标注 评估 实验 指南 手册 规范 标准 协议 合同 审批 流程 任务 计划 会议 团队 项目 客户 供应商 "
      "合作 市场 销售 运营 产品 设计 测试 开发 发布 回滚 灰度 上线 下线 维护 巡检 今天 昨天 明天 "
      "我们 你们 他们 需要 已经 正在 可以 应该 因为 所以 但是 如果 然后 问题 情况 处理 完成 开始 "
      "结束 成功 失败 正常").split()
EN = ("charging station fault training model battery power supply module engineer check "
      "replace firmware version upgrade data cluster server network latency user order payment "
      "refund support phone address delivery logistics warehouse stock price discount member "
      "points account password login register verify security privacy log alert monitor metric "
      "deploy container image node storage backup restore migrate database index query cache "
      "interface request response timeout retry error exception crash restart config parameter "
      "threshold temperature voltage current cooling fan screen display button switch plug "
      "cable vehicle driver site map navigation booking queue time cost invoice report analysis "
      "statistics trend forecast recommend search vector embedding document knowledge answer "
      "translate voice picture label evaluate experiment guide manual standard protocol "
      "contract approval process task plan meeting team project customer supplier partner "
      "market sales operations product design test develop release rollback canary online "
      "offline maintain inspect today yesterday tomorrow need already can should because so "
      "but if then problem situation handle complete start finish success failure normal the "
      "a of and in is").split()
MIXED_EN = ("GPU", "API", "Kubernetes", "Redis", "PostgreSQL", "CPU", "SDK", "OTA")
RARE_ZH = "蝴蝶 钢琴 熊猫 长城 火锅 茶叶 书法 京剧 太极 丝绸".split()
ONE_ZH = "瓷器 灯笼 饺子 月饼 风筝 围棋 琵琶 竹子 梅花 孔雀".split()
NONE_ZH = "企鹅 沙漠 火山 海豚 樱花 雪山 彩虹 森林 瀑布 珊瑚".split()
RARE_EN = ("xylophone pelican marzipan tundra origami quasar walrus saffron glacier "
           "bagpipe").split()
ONE_EN = "lantern dumpling kite falcon cactus mosaic harpoon jasmine meteor zeppelin".split()
NONE_EN = "aardvark narwhal obsidian sequoia tapir vortex yodel zircon quokka fjord".split()
RARE_COUNT = 20


def zipf_weights(n: int, s: float = 1.05) -> list[float]:
    return [1 / (rank ** s) for rank in range(1, n + 1)]


def messages(count: int, seed: int = 7) -> Iterator[str]:
    """`count` message texts; the rare words at fixed, spread positions."""
    rng = random.Random(seed)
    zh_w, en_w = zipf_weights(len(ZH)), zipf_weights(len(EN))
    placed: dict[int, str] = {}
    for k, word in enumerate(RARE_ZH + RARE_EN):
        for j in range(RARE_COUNT):
            placed[(k * 7919 + j * (count // RARE_COUNT)) % count] = word
    for k, word in enumerate(ONE_ZH + ONE_EN):
        placed[(k * 104729 + count // 3) % count] = word
    for i in range(count):
        n = rng.randint(6, 30)
        kind = rng.random()
        if kind < 0.5:
            text = "".join(rng.choices(ZH, zh_w, k=n)) + "。"
        elif kind < 0.8:
            text = " ".join(rng.choices(EN, en_w, k=n)).capitalize() + "."
        else:
            words = rng.choices(ZH, zh_w, k=n)
            words[rng.randrange(n)] = f" {rng.choice(MIXED_EN)} "
            text = "".join(words).strip() + "。"
        if i in placed:
            word = placed[i]
            text = f"{text[:-1]}，{word}。" if word in RARE_ZH + ONE_ZH else f"{text} {word}."
        yield text


def query_classes(top_zh: list[str], top_en: list[str]) -> dict[str, list[str]]:
    mid_zh, mid_en = ZH[60:70], EN[60:70]
    return {
        "Chinese, frequent word": top_zh[:10],
        "Chinese, word in ≈ 1% of messages": mid_zh,
        f"Chinese, word in {RARE_COUNT} messages": RARE_ZH,
        "Chinese, word in one message": ONE_ZH,
        "Chinese, word in none": NONE_ZH,
        "Chinese, two frequent words": [f"{a} {b}" for a, b in pairwise(top_zh[:11])],
        "Chinese, frequent + rare word": [f"{a} {b}" for a, b in zip(top_zh, RARE_ZH,
                                                                     strict=False)],
        "English, frequent word": top_en[:10],
        "English, word in ≈ 1% of messages": mid_en,
        f"English, word in {RARE_COUNT} messages": RARE_EN,
        "English, word in one message": ONE_EN,
        "English, word in none": NONE_EN,
        "English, two frequent words": [f"{a} {b}" for a, b in pairwise(top_en[:11])],
        "English, plural of a word (stems)": [f"{w}s" for w in EN[40:50]],
        "mixed: English and Chinese word": [f"{e} {z}" for e, z in zip(
            MIXED_EN + MIXED_EN[:2], top_zh[:10], strict=True)],
    }


def schedstat(pid: int) -> tuple[float, float]:
    """(ms on a CPU, ms waiting for one) of a process so far, from Linux's scheduler: what a
    query costs the server, and how much of its time other work on the machine took."""
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            ran, waited, _ = stat.read().split()
    except OSError:  # not Linux, or another machine's server
        return 0.0, 0.0
    return int(ran) / 1e6, int(waited) / 1e6


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def load(con: asyncpg.Connection, count: int) -> tuple[uuid.UUID, uuid.UUID]:
    org, user, model = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await con.execute("INSERT INTO organizations (id, name, slug) VALUES ($1, 'bench', 'bench')",
                      org)
    await con.execute("INSERT INTO users (id, email, username) "
                      "VALUES ($1, 'bench@example.com', 'bench')", user)
    await con.execute("INSERT INTO memberships (organization_id, user_id, role) "
                      "VALUES ($1, $2, 'viewer')", org, user)
    await con.execute("INSERT INTO ai_models (id, organization_id, name, provider, model_type) "
                      "VALUES ($1, $2, 'bench', 'echo', 'chat')", model, org)
    sessions = [uuid.uuid4() for _ in range((count + PER_SESSION - 1) // PER_SESSION)]
    await con.copy_records_to_table(
        "chat_sessions", columns=["id", "organization_id", "user_id", "model_id"],
        records=[(s, org, user, model) for s in sessions])
    for index in ("ix_chat_messages_search_vector", "ix_chat_messages_content_trgm"):
        await con.execute(f"DROP INDEX {index}")  # built once after the load
    started = time.perf_counter()
    batch: list[tuple[object, ...]] = []
    for i, text in enumerate(messages(count)):
        batch.append((org, sessions[i // PER_SESSION], "user" if i % 2 == 0 else "assistant",
                      text, search_text(text), i % PER_SESSION))
        if len(batch) == 50_000 or i == count - 1:
            await con.copy_records_to_table(
                "chat_messages", records=batch, columns=[
                    "organization_id", "session_id", "role", "content", "search_text",
                    "sequence_number"])
            batch = []
    loaded = time.perf_counter()
    await con.execute("SET maintenance_work_mem = '256MB'")
    await con.execute("CREATE INDEX ix_chat_messages_search_vector ON chat_messages "
                      "USING gin (search_vector)")
    await con.execute("CREATE INDEX ix_chat_messages_content_trgm ON chat_messages "
                      "USING gin (content gin_trgm_ops)")
    await con.execute("VACUUM ANALYZE chat_messages")
    print(f"loaded {count:,} messages in {loaded - started:.0f} s (cut, generated vectors, "
          f"COPY), indexes and ANALYZE in {time.perf_counter() - loaded:.0f} s")
    return org, user


async def existing(con: asyncpg.Connection, count: int) -> tuple[uuid.UUID, uuid.UUID] | None:
    have = await con.fetchval("SELECT count(*) FROM chat_messages")
    if have != count:
        return None
    row = await con.fetchrow("SELECT organization_id, user_id FROM memberships LIMIT 1")
    return row[0], row[1]


async def matches(con: asyncpg.Connection, query: str) -> int:
    return await con.fetchval(
        f"SELECT count(*) FROM chat_messages WHERE search_vector @@ {statements.QUERY}",
        statements.search_query(query))


async def top_words(con: asyncpg.Connection, words: list[str]) -> list[str]:
    counted = [(await matches(con, w), w) for w in words[:30]]
    return [w for _, w in sorted(counted, reverse=True)]


async def run(url: str, count: int, runs: int) -> None:
    con = await asyncpg.connect(asyncpg_dsn(url))
    try:
        ids = await existing(con, count)
        if ids is None:
            await con.execute("TRUNCATE chat_messages, chat_sessions, ai_models, memberships, "
                              "users, organizations CASCADE")
            ids = await load(con, count)
        org, user = ids
        principal = Principal.member(user, {org: "viewer"})
        classes = query_classes(await top_words(con, ZH), await top_words(con, EN))
        backend = await con.fetchval("SELECT pg_backend_pid()")
        print(f"\n| query class ({count:,} messages, first page of {PAGE}) | rows matching "
              "(median) | p50 ms | p99 ms | server CPU p50 ms | p99 | waiting for a CPU, "
              "median ms |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for label, queries in classes.items():
            times: list[float] = []
            cpu: list[float] = []
            waited: list[float] = []
            found: list[int] = []
            for query in queries:
                prepared = statements.prepare(statements.CHAT, query, PAGE + 1, principal)
                assert prepared is not None
                sql, params = prepared
                await con.fetch(sql, *params)  # warm
                for _ in range(runs):
                    ran, delayed = schedstat(backend)
                    began = time.perf_counter()
                    await con.fetch(sql, *params)
                    times.append((time.perf_counter() - began) * 1000)
                    ran_after, delayed_after = schedstat(backend)
                    cpu.append(ran_after - ran)
                    waited.append(delayed_after - delayed)
                found.append(await matches(con, query))
            print(f"| {label} (e.g. {queries[0]!r}) | {statistics.median(found):,.0f} | "
                  f"{statistics.median(times):.1f} | {percentile(times, 99):.1f} | "
                  f"{statistics.median(cpu):.1f} | {percentile(cpu, 99):.1f} | "
                  f"{statistics.median(waited):.1f} |")
        print("\nWhat the bounded candidate set gives up (frequent words):")
        for label in ("Chinese, frequent word", "English, frequent word"):
            kept, exact_ms = [], []
            for query in classes[label]:
                pages = []
                for candidates in (statements.CANDIDATES, count):
                    prepared = statements.prepare(statements.CHAT, query, PAGE, principal,
                                                  candidates=candidates)
                    assert prepared is not None
                    sql, params = prepared
                    began = time.perf_counter()
                    pages.append({r["id"] for r in await con.fetch(sql, *params)})
                    exact_ms.append((time.perf_counter() - began) * 1000)
                kept.append(len(pages[0] & pages[1]) / PAGE)
            exact = statistics.median(exact_ms[1::2])
            print(f"- {label}: the served first page holds {statistics.mean(kept):.0%} of "
                  f"the exact first page (every match ranked, {exact:,.0f} ms median), mean "
                  f"of {len(classes[label])} words")
    finally:
        await con.close()


async def create_database(server_url: str) -> str:
    con = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        if not await con.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await con.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await con.close()
    return make_url(server_url).set(database=DATABASE).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with EmbeddedServices(args.data_dir or Path(tmp), redis=False) as embedded:
            url = asyncio.run(create_database(embedded.database_url))
            migrate.upgrade(url)
            asyncio.run(run(url, args.messages, args.runs))


if __name__ == "__main__":
    main()
