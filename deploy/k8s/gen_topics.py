"""Generate every Kafka topic the system needs, for Kubernetes (Strimzi) and for compose.

Sources of truth:
- ``contracts/src/allwan_contracts/topics.py``: the event topics, partitions and retention;
- each service's ``runtime.consume("<name>", [TOPIC.name, ...], ...)`` calls: its consumer
  groups (``<service>.<name>``), hence its dead-letter topics ``allwan.dlq.<service>.<name>``.
  They are read from the source (``ast``), so nothing is started and no setting is needed.

Outputs (checked in; ``tests/deploy`` fails when they are stale):
- ``deploy/k8s/base/kafka/topics.yaml``: one Strimzi ``KafkaTopic`` per topic;
- ``deploy/compose/topics.txt``: ``<name> <partitions> <retention.ms>`` per line, read by the
  compose ``kafka-topics`` job.

    uv run python deploy/k8s/gen_topics.py           # rewrite both files
    uv run python deploy/k8s/gen_topics.py --check   # exit 1 if either is stale
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from allwan_contracts import topics as contracts_topics

REPO = Path(__file__).resolve().parents[2]
K8S_TOPICS = REPO / "deploy" / "k8s" / "base" / "kafka" / "topics.yaml"
COMPOSE_TOPICS = REPO / "deploy" / "compose" / "topics.txt"
STRIMZI_CLUSTER = "allwan"
"""The ``Kafka`` resource's name (``deploy/k8s/base/kafka/kafka.yaml``)."""

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


@dataclass(frozen=True)
class Topic:
    """A topic as the broker should create it."""

    name: str
    partitions: int
    retention_ms: int
    description: str


@dataclass(frozen=True)
class Consumer:
    """One consumer group of a service and the event topics it reads."""

    service: str
    name: str
    topics: tuple[str, ...]

    @property
    def group(self) -> str:
        """The Kafka group id: ``<service>.<name>`` (``ServiceRuntime.consume``)."""
        return f"{self.service}.{self.name}"


def _topic_constants() -> dict[str, str]:
    """``{"ORDERS": "allwan.orders", ...}``: how the services' sources name the topics."""
    return {
        attr: value.name
        for attr, value in vars(contracts_topics).items()
        if isinstance(value, contracts_topics.TopicSpec)
    }


def _topic_names(node: ast.expr, constants: dict[str, str], where: str) -> tuple[str, ...]:
    if not isinstance(node, ast.List | ast.Tuple):
        raise SystemExit(f"{where}: the topics of a consumer must be a literal list")
    names = []
    for item in node.elts:
        if (
            isinstance(item, ast.Attribute)
            and item.attr == "name"
            and isinstance(item.value, ast.Name)
            and item.value.id in constants
        ):
            names.append(constants[item.value.id])
        elif isinstance(item, ast.Constant) and isinstance(item.value, str):
            names.append(item.value)
        else:
            raise SystemExit(f"{where}: cannot tell which topic {ast.unparse(item)} is")
    return tuple(names)


def discover_consumers(repo: Path = REPO) -> list[Consumer]:
    """Every ``<runtime>.consume("<name>", [topics], ...)`` call in the services' sources."""
    constants = _topic_constants()
    consumers: list[Consumer] = []
    for service_dir in sorted((repo / "services").iterdir()):
        src = service_dir / "src"
        if not src.is_dir():
            continue
        for path in sorted(src.rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "consume"
                ):
                    continue
                args = list(node.args)
                keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
                name = args[0] if args else keywords.get("name")
                topics = args[1] if len(args) > 1 else keywords.get("topics")
                if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                    continue  # not ServiceRuntime.consume
                if topics is None:
                    continue
                where = f"{path.relative_to(repo)}:{node.lineno}"
                consumers.append(
                    Consumer(service_dir.name, name.value, _topic_names(topics, constants, where))
                )
    return consumers


def all_topics(repo: Path = REPO) -> list[Topic]:
    """The event topics, then one dead-letter topic per consumer group, sorted by name."""
    specs = [
        *contracts_topics.ALL_TOPICS,
        *sorted(
            (contracts_topics.dead_letter_spec(c.group) for c in discover_consumers(repo)),
            key=lambda spec: spec.name,
        ),
    ]
    return [Topic(s.name, s.partitions, s.retention_ms, s.description) for s in specs]


def resource_name(topic: str) -> str:
    """A Kubernetes object name for a topic (``metadata.name``; the topic name stays exact)."""
    name = topic.lower().replace("_", "-")
    if not _DNS_SUBDOMAIN.match(name) or len(name) > 253:
        raise SystemExit(f"topic {topic!r} has no valid Kubernetes resource name")
    return name


def render_kafka_topics(topics: list[Topic]) -> str:
    """Strimzi ``KafkaTopic`` resources; replication comes from the cluster's default."""
    header = (
        "# Generated by deploy/k8s/gen_topics.py from contracts/src/allwan_contracts/topics.py\n"
        "# and the services' consumers. Do not edit; regenerate with\n"
        "#   uv run python deploy/k8s/gen_topics.py\n"
        "# Replicas are the cluster's default.replication.factor (1 in dev, 3 in prod).\n"
    )
    docs = []
    for topic in topics:
        docs.append(
            "\n".join(
                [
                    "apiVersion: kafka.strimzi.io/v1",
                    "kind: KafkaTopic",
                    "metadata:",
                    f"  name: {resource_name(topic.name)}",
                    "  labels:",
                    f"    strimzi.io/cluster: {STRIMZI_CLUSTER}",
                    "    app.kubernetes.io/part-of: allwan",
                    "  annotations:",
                    f"    allwan.io/description: {_yaml_str(topic.description)}",
                    "spec:",
                    f"  topicName: {topic.name}",
                    f"  partitions: {topic.partitions}",
                    "  config:",
                    "    cleanup.policy: delete",
                    f"    retention.ms: {topic.retention_ms}",
                ]
            )
            + "\n"
        )
    return header + "---\n" + "---\n".join(docs)


def render_compose_topics(topics: list[Topic]) -> str:
    """One ``<name> <partitions> <retention.ms>`` line per topic, for the compose job."""
    lines = [
        "# Generated by deploy/k8s/gen_topics.py; do not edit.",
        "# <topic> <partitions> <retention.ms>",
    ]
    lines += [f"{t.name} {t.partitions} {t.retention_ms}" for t in topics]
    return "\n".join(lines) + "\n"


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def outputs(repo: Path = REPO) -> dict[Path, str]:
    """What each generated file should contain."""
    topics = all_topics(repo)
    return {K8S_TOPICS: render_kafka_topics(topics), COMPOSE_TOPICS: render_compose_topics(topics)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        current = path.read_text() if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path.relative_to(REPO))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(REPO)}")
    if stale:
        names = ", ".join(map(str, stale))
        print(f"stale: {names}; run `uv run python deploy/k8s/gen_topics.py`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
