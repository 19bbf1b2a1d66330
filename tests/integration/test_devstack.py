"""The dev stack starts real servers that behave as the services need.

Starts its own ``DevStack`` on free ports in a temporary directory (independent of the
``servers`` fixture, which may point at Docker or external servers), then checks each
server through the same client libraries the services use. The FerretDB checks at the end
pin down MongoDB features the event store relies on; they hold on real MongoDB too.
"""

from __future__ import annotations

import asyncio
import os
import signal
import smtplib
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from allwan_devstack import DevStack, Endpoints, cli, provision
from allwan_devstack.stack import read_env_file
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from tests.waiting import eventually

# Provisioning from a cold cache builds FerretDB and Mailpit (about 90 s on 2 cores).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(400)]

Doc = dict[str, object]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    provision()
    with DevStack(tmp_path_factory.mktemp("devstack")) as started:
        yield started
    assert not any(started.status().values()), "servers still running after stop()"


@pytest.fixture(scope="module")
def endpoints(stack: DevStack) -> Endpoints:
    return stack.endpoints


@pytest.fixture
async def mongo(endpoints: Endpoints) -> AsyncIterator[AsyncMongoClient[Doc]]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(endpoints.mongo_url)
    yield client
    await client.close()


def test_stack_records_its_state(stack: DevStack, endpoints: Endpoints) -> None:
    assert all(stack.status().values())
    for server in ("kafka", "mongo", "smtp"):
        assert stack.log_path(server).stat().st_size > 0
        assert stack.pid_path(server).is_file()
    assert read_env_file(stack.env_file) == endpoints.as_env()
    assert Endpoints.from_env(endpoints.as_env()) == endpoints
    assert endpoints.kafka_bootstrap.startswith("127.0.0.1:")
    # A second start() on the same stack is a no-op, as the shared conftest relies on.
    assert stack.start() == endpoints


def test_second_stack_on_same_state_dir_is_refused(stack: DevStack) -> None:
    from allwan_devstack import AlreadyRunningError

    with pytest.raises(AlreadyRunningError):
        DevStack(stack.state_dir).start()


async def test_kafka_idempotent_produce_is_consumed(endpoints: Endpoints) -> None:
    topic = f"devstack-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=endpoints.kafka_bootstrap)
    await admin.start()
    try:
        # auto.create.topics.enable=false: topics must be created explicitly.
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()

    producer = AIOKafkaProducer(
        bootstrap_servers=endpoints.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, b"hello", key=b"k1", headers=[("h", b"v")])
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=endpoints.kafka_bootstrap,
        group_id=f"g-{topic}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=60)
        await consumer.commit()
    finally:
        await consumer.stop()
    assert (record.key, record.value, list(record.headers)) == (b"k1", b"hello", [("h", b"v")])
    assert (record.partition, record.offset) == (sent.partition, sent.offset)


def test_the_broker_runs_on_the_class_archive_made_at_provisioning(stack: DevStack) -> None:
    """A broker restarted after a crash spends its first seconds loading classes; the JVM
    maps the archive of them that provisioning made (class-data sharing)."""
    archive = provision().kafka.class_archive
    assert archive is not None
    pid = stack.status()["kafka"]
    assert str(archive) in Path(f"/proc/{pid}/maps").read_text()


async def test_a_deleted_topics_logs_leave_the_disk_within_seconds(
    stack: DevStack, endpoints: Endpoints
) -> None:
    """Kafka keeps a deleted topic's logs a minute by default, and a broker restarted within
    that minute recovers them all again: the chaos bench's restarts kept them for good."""
    topic = f"devstack-gone-{uuid.uuid4().hex[:8]}"
    data = stack.state_dir / "kafka" / "data"
    admin = AIOKafkaAdminClient(bootstrap_servers=endpoints.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])

        async def logs(present: bool) -> bool:
            return any(data.glob(f"{topic}-*")) is present

        await eventually(lambda: logs(True), what="the topic's logs on disk")
        await admin.delete_topics([topic])
    finally:
        await admin.close()

    await eventually(lambda: logs(False), timeout=20, what="the deleted topic's logs removed")


async def test_ferretdb_pings_and_enforces_unique_index(
    mongo: AsyncMongoClient[Doc],
) -> None:
    assert (await mongo.admin.command("ping"))["ok"] == 1.0
    users = mongo["devstack_test"]["users"]
    await users.drop()
    await users.create_index("email", unique=True)
    await users.insert_one({"email": "a@example.org"})
    with pytest.raises(DuplicateKeyError):
        await users.insert_one({"email": "a@example.org"})
    assert await users.count_documents({}) == 1


def test_smtp_message_appears_in_mail_api(endpoints: Endpoints) -> None:
    subject = f"devstack check {uuid.uuid4().hex[:8]}"
    message = EmailMessage()
    message["From"] = "shop@allwan.test"
    message["To"] = "customer@example.org"
    message["Subject"] = subject
    message.set_content("Your subscription is active.")
    with smtplib.SMTP(endpoints.smtp_host, endpoints.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)

    assert endpoints.mail_api_url is not None
    # Mailpit stores the message before it acknowledges DATA, so it is there at once.
    response = httpx.get(
        f"{endpoints.mail_api_url}/api/v1/search", params={"query": f'subject:"{subject}"'}
    )
    response.raise_for_status()
    found = response.json()["messages"]
    assert [m["Subject"] for m in found] == [subject]
    assert found[0]["To"][0]["Address"] == "customer@example.org"


# -- MongoDB features the services use, checked on FerretDB ----------------------------


async def test_upsert_that_would_duplicate_id_raises_duplicate_key(
    mongo: AsyncMongoClient[Doc],
) -> None:
    coll = mongo["devstack_test"]["upserts"]
    await coll.drop()
    await coll.insert_one({"_id": "x", "v": 1})
    # The filter matches nothing, so the upsert inserts _id "x", which exists.
    with pytest.raises(DuplicateKeyError):
        await coll.update_one({"_id": "x", "v": 2}, {"$set": {"w": 1}}, upsert=True)
    matched = await coll.update_one({"_id": "x"}, {"$set": {"w": 2}}, upsert=True)
    assert matched.matched_count == 1


async def test_push_in_update(mongo: AsyncMongoClient[Doc]) -> None:
    coll = mongo["devstack_test"]["push"]
    await coll.drop()
    await coll.insert_one({"_id": 1, "items": [1]})
    await coll.update_one({"_id": 1}, {"$push": {"items": 2}})
    await coll.update_one({"_id": 1}, {"$push": {"items": {"$each": [3, 4]}}})
    await coll.update_one({"_id": 2}, {"$push": {"items": "new"}}, upsert=True)
    assert await coll.find({}).sort("_id", ASCENDING).to_list() == [
        {"_id": 1, "items": [1, 2, 3, 4]},
        {"_id": 2, "items": ["new"]},
    ]


async def test_compound_unique_index(mongo: AsyncMongoClient[Doc]) -> None:
    commits = mongo["devstack_test"]["commits"]
    await commits.drop()
    await commits.create_index([("stream", ASCENDING), ("version", ASCENDING)], unique=True)
    await commits.insert_many(
        [
            {"stream": "s1", "version": 1},
            {"stream": "s1", "version": 2},
            {"stream": "s2", "version": 1},
        ]
    )
    with pytest.raises(DuplicateKeyError):
        await commits.insert_one({"stream": "s1", "version": 2})
    assert await commits.count_documents({}) == 3


async def test_sort_on_two_fields_with_limit(mongo: AsyncMongoClient[Doc]) -> None:
    coll = mongo["devstack_test"]["sorting"]
    await coll.drop()
    await coll.insert_many([{"_id": i, "a": i % 3, "b": i} for i in range(10)])
    first = await coll.find({}).sort([("a", ASCENDING), ("b", DESCENDING)]).limit(4).to_list()
    assert [(d["a"], d["b"]) for d in first] == [(0, 9), (0, 6), (0, 3), (0, 0)]
    page = (
        await coll.find({"a": {"$gte": 1}})
        .sort([("a", DESCENDING), ("b", ASCENDING)])
        .skip(1)
        .limit(3)
        .to_list()
    )
    assert [(d["a"], d["b"]) for d in page] == [(2, 5), (2, 8), (1, 1)]


async def test_up_restarts_only_the_server_that_died_with_its_port_and_data(
    stack: DevStack, endpoints: Endpoints, mongo: AsyncMongoClient[Doc]
) -> None:
    kept = mongo["devstack_test"]["survivors"]
    await kept.drop()
    await kept.insert_one({"_id": "written before the crash"})
    before = stack.status()
    assert before["mongo"] is not None
    os.kill(before["mongo"], signal.SIGKILL)

    async def dead() -> bool:
        return stack.status()["mongo"] is None

    await eventually(dead, what="FerretDB gone after SIGKILL")

    code = await asyncio.to_thread(cli.main, ["--state-dir", str(stack.state_dir), "up"])

    after = stack.status()
    assert code == 0
    assert (after["kafka"], after["smtp"]) == (before["kafka"], before["smtp"])
    assert after["mongo"] not in (None, before["mongo"])
    assert stack.read_endpoints() == endpoints
    fresh: AsyncMongoClient[Doc] = AsyncMongoClient(endpoints.mongo_url)
    try:
        survivors = fresh["devstack_test"]["survivors"]
        assert await survivors.find_one({"_id": "written before the crash"}) is not None
    finally:
        await fresh.close()


async def test_a_restart_waits_for_a_port_a_client_holds_for_a_moment(
    stack: DevStack, endpoints: Endpoints
) -> None:
    """Recorded ports come from the ephemeral range: right after a crash, a reconnecting
    client's outgoing socket may hold the dead server's port. The restart tries again."""
    before = stack.status()["mongo"]
    assert before is not None
    os.kill(before, signal.SIGKILL)

    async def dead() -> bool:
        return stack.status()["mongo"] is None

    await eventually(dead, what="FerretDB gone after SIGKILL")
    port = int(endpoints.mongo_url.rsplit(":", 1)[1].strip("/"))
    holder = socket.socket()
    # The dead server's connections linger in TIME_WAIT for a minute; like the restarted
    # server (Go listens with SO_REUSEADDR), the holder binds past them, and it listens, so
    # that no one else can bind the port while it holds it.
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    async def held() -> bool:
        try:
            holder.bind(("127.0.0.1", port))
        except OSError:
            return False
        holder.listen()
        return True

    await eventually(held, what="the port taken by another socket", timeout=90)
    restarting = asyncio.create_task(asyncio.to_thread(stack.restart_stopped, 60.0))
    await asyncio.sleep(2.5)  # the first attempts meet the held port
    holder.close()
    assert await restarting == ["mongo"]
    assert stack.status()["mongo"] not in (None, before)


def test_stop_leaves_nothing_running(tmp_path: Path) -> None:
    """A stack started and stopped in one go leaves no process and no endpoints behind."""
    stack = DevStack(tmp_path / "stack")
    endpoints = stack.start()
    pids = stack.status()
    assert all(pids.values())
    stack.stop()
    assert not any(stack.status().values())
    assert not stack.env_file.exists()
    assert endpoints.smtp_port > 0
