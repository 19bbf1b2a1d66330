"""The deploy files, validated offline: a broken manifest fails the suite.

- kustomize builds every overlay (``rendered`` fixture);
- the core kinds validate against Kubernetes' own schemas (kubernetes-validate, strict);
- the custom resources (Strimzi, KEDA), which no bundled schema covers, pass structural checks
  written here from their CRDs' required fields, and refer to objects that exist;
- kube-score passes (and kube-linter with ``.kube-linter.yaml``, where it could be built);
- our own rules: probes, security contexts, grace periods above the graceful timeout, KEDA
  within partitions, network policies, secrets only from untracked files;
- the generated KafkaTopics and the compose topic list are up to date.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.util import find_spec
from types import ModuleType
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
from allwan_devstack.deploytools import DeployTools
from allwan_devstack.system import DEV_SECRETS, STAFF_ACCOUNTS, WEB_SECRETS
from allwan_runtime.settings import RuntimeSettings

from tests.deploy.conftest import K8S, OVERLAYS, REPO, Manifest, Rendered, load_script

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(600)]

KUBERNETES_VERSION = "1.33"
"""The oldest Kubernetes the manifests target (native sidecar-free, preStop ``sleep`` GA)."""
SERVICES = ("gateway", "orders", "consent", "notifier", "privacy")
"""The back end: Kafka and MongoDB clients."""
WEB = "web"
"""The web pages: a client of the gateway's HTTP API only."""
KEDA_SCALED = ("orders", "consent", "notifier", "privacy")
CUSTOM_KINDS = {"Kafka", "KafkaNodePool", "KafkaTopic", "ScaledObject"}
POD_OWNERS = ("Deployment", "StatefulSet", "Job")


@pytest.fixture(scope="module")
def gen_topics() -> ModuleType:
    return load_script(K8S / "gen_topics.py", "allwan_gen_topics")


def pod_spec(manifest: Manifest) -> dict[str, Any]:
    spec: dict[str, Any] = manifest["spec"]["template"]["spec"]
    return spec


def env_of(rendered: Rendered, container: dict[str, Any]) -> dict[str, str]:
    """A container's environment as the kubelet would build it (envFrom, then env)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(rendered.named("ConfigMap", source["configMapRef"]["name"])["data"])
        elif "secretRef" in source:
            secret = rendered.named("Secret", source["secretRef"]["name"])
            env.update(dict.fromkeys(secret.get("data", {}), "<secret>"))
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", "<from>")
    return env


def pods(rendered: Rendered) -> Iterator[tuple[Manifest, dict[str, Any]]]:
    for kind in POD_OWNERS:
        for manifest in rendered.of_kind(kind):
            yield manifest, pod_spec(manifest)


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


# ---- kustomize, schemas, linters ------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_builds_with_the_whole_system(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    kinds = {m["kind"] for m in rendered[overlay].manifests}
    assert {
        "Namespace",
        "Deployment",
        "StatefulSet",
        "Service",
        "Ingress",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "ConfigMap",
        "Secret",
        *CUSTOM_KINDS,
    } <= kinds
    deployments = {m["metadata"]["name"] for m in rendered[overlay].of_kind("Deployment")}
    assert {*SERVICES, WEB, "otel-collector"} <= deployments
    namespaces = {m["metadata"].get("namespace") for m in rendered[overlay].manifests}
    namespaces.discard(None)  # the Namespace itself
    assert len(namespaces) == 1, f"everything in one namespace, not {namespaces}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_core_kinds_are_valid_kubernetes(rendered: dict[str, Rendered], overlay: str) -> None:
    errors = []
    for manifest in rendered[overlay].manifests:
        if manifest["kind"] in CUSTOM_KINDS:
            continue  # no schema bundled: see test_custom_resources_are_well_formed
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = "/".join(map(str, error.path))
            errors.append(f"{manifest['kind']}/{manifest['metadata']['name']} {path}: {error}")
        except kubernetes_validate.SchemaNotFoundError as error:
            errors.append(f"{manifest['kind']} {manifest['apiVersion']}: {error}")
    assert not errors, "\n".join(errors)


def _require(errors: list[str], where: str, value: object, expected: type) -> None:
    if not isinstance(value, expected):
        errors.append(f"{where}: {value!r} is not {expected}")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_custom_resources_are_well_formed(rendered: dict[str, Rendered], overlay: str) -> None:
    """Strimzi (kafka.strimzi.io/v1) and KEDA (keda.sh/v1alpha1) resources: the fields their
    CRDs require, with the right types, and references that resolve."""
    r = rendered[overlay]
    errors: list[str] = []
    (kafka,) = r.of_kind("Kafka")
    cluster = kafka["metadata"]["name"]
    for manifest in r.of_kind("Kafka") + r.of_kind("KafkaNodePool") + r.of_kind("KafkaTopic"):
        where = f"{manifest['kind']}/{manifest['metadata']['name']}"
        if manifest["apiVersion"] != "kafka.strimzi.io/v1":
            errors.append(f"{where}: Strimzi 1.x serves only kafka.strimzi.io/v1")
        if manifest["kind"] != "Kafka" and (
            manifest["metadata"].get("labels", {}).get("strimzi.io/cluster") != cluster
        ):
            errors.append(f"{where}: not labelled strimzi.io/cluster={cluster}")
    spec = kafka["spec"]
    _require(errors, "Kafka.spec.kafka.version", spec["kafka"].get("version"), str)
    listeners = spec["kafka"]["listeners"]
    bootstrap_ports = {listener["port"] for listener in listeners}
    for listener in listeners:
        for field in ("name", "port", "type", "tls"):
            if field not in listener:
                errors.append(f"Kafka listener {listener}: no {field}")
    assert "zookeeper" not in spec, "KRaft only"
    assert "topicOperator" in spec.get("entityOperator", {}), "KafkaTopics need it"
    brokers = 0
    for pool in r.of_kind("KafkaNodePool"):
        where = f"KafkaNodePool/{pool['metadata']['name']}"
        _require(errors, f"{where}.replicas", pool["spec"].get("replicas"), int)
        roles = set(pool["spec"].get("roles", []))
        if not roles or not roles <= {"controller", "broker"}:
            errors.append(f"{where}: roles {roles}")
        if "broker" in roles:
            brokers += pool["spec"]["replicas"]
        storage = pool["spec"].get("storage", {}).get("type")
        if storage not in {"jbod", "ephemeral", "persistent-claim"}:
            errors.append(f"{where}: storage type")
    replication = int(spec["kafka"]["config"]["default.replication.factor"])
    min_isr = int(spec["kafka"]["config"]["min.insync.replicas"])
    assert 1 <= min_isr <= replication <= brokers, (
        f"{overlay}: min ISR {min_isr}, replication {replication}, {brokers} brokers"
    )
    for topic in r.of_kind("KafkaTopic"):
        where = f"KafkaTopic/{topic['metadata']['name']}"
        _require(errors, f"{where}.partitions", topic["spec"].get("partitions"), int)
        _require(errors, f"{where}.topicName", topic["spec"].get("topicName"), str)
        _require(errors, f"{where}.retention.ms", topic["spec"]["config"].get("retention.ms"), int)
    deployments = {m["metadata"]["name"] for m in r.of_kind("Deployment")}
    for scaled in r.of_kind("ScaledObject"):
        where = f"ScaledObject/{scaled['metadata']['name']}"
        if scaled["apiVersion"] != "keda.sh/v1alpha1":
            errors.append(f"{where}: apiVersion")
        if scaled["spec"]["scaleTargetRef"]["name"] not in deployments:
            errors.append(f"{where}: scales a Deployment that does not exist")
        for trigger in scaled["spec"]["triggers"]:
            metadata = trigger["metadata"]
            required = {"bootstrapServers", "consumerGroup", "topic"}
            if trigger["type"] != "kafka" or not required <= set(metadata):
                errors.append(f"{where}: trigger {trigger}")
            elif not all(isinstance(value, str) for value in metadata.values()):
                errors.append(f"{where}: KEDA trigger metadata values are strings: {metadata}")
            elif int(metadata["bootstrapServers"].rsplit(":", 1)[1]) not in bootstrap_ports:
                errors.append(f"{where}: {metadata['bootstrapServers']} is no Kafka listener")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kube_score_passes(
    deploy_tools: DeployTools, rendered: dict[str, Rendered], overlay: str
) -> None:
    """Every check at its default, warnings fail too; the few exceptions are annotations on the
    objects they concern (``kube-score/ignore``), each with a comment saying why."""
    result = subprocess.run(
        [
            str(deploy_tools.binary("kube-score")),
            "score",
            "--output-format",
            "ci",
            "--kubernetes-version",
            f"v{KUBERNETES_VERSION}",
            "--exit-one-on-warning",
            str(rendered[overlay].path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    problems = [
        line for line in result.stdout.splitlines() if re.match(r"\[(WARNING|CRITICAL)\]", line)
    ]
    assert not problems, "\n".join(problems)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kube_linter_passes(
    deploy_tools: DeployTools, rendered: dict[str, Rendered], overlay: str
) -> None:
    if "kube-linter" not in deploy_tools.binaries:
        pytest.skip(f"kube-linter could not be built: {deploy_tools.missing.get('kube-linter')}")
    result = subprocess.run(
        [
            str(deploy_tools.binary("kube-linter")),
            "lint",
            "--config",
            str(REPO / ".kube-linter.yaml"),
            str(rendered[overlay].path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ---- our own rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_run_their_own_module_with_probes_and_a_locked_down_pod(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    for service in (*SERVICES, WEB):
        deployment = rendered[overlay].named("Deployment", service)
        spec = pod_spec(deployment)
        (container,) = spec["containers"]
        module = f"allwan_{service}.entrypoints.cli"
        assert container["args"] == [module, "serve"]
        assert find_spec(module) is not None, f"{module} does not exist"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        liveness = container["livenessProbe"]
        assert liveness["httpGet"]["path"] == "/health/live"
        # A slow but healthy consumer must not be killed: a minute or more of failures first.
        assert liveness["periodSeconds"] * liveness["failureThreshold"] >= 60
        assert spec["automountServiceAccountToken"] is False
        pod_security = spec["securityContext"]
        assert pod_security["runAsNonRoot"] is True
        assert pod_security["runAsUser"] == 10001
        assert pod_security["seccompProfile"]["type"] == "RuntimeDefault"
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["readOnlyRootFilesystem"] is True
        assert security["capabilities"]["drop"] == ["ALL"]
        tmp = {m["name"] for m in container["volumeMounts"] if m["mountPath"] == "/tmp"}
        empty_dirs = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        assert tmp, f"{service}: no /tmp mount"
        assert tmp <= empty_dirs, f"{service}: /tmp is not a writable emptyDir"
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind])
        env = env_of(rendered[overlay], container)
        assert env["ALLWAN_SERVICE_NAME"] == service
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
        back_end = {"ALLWAN_MONGO_URL", "ALLWAN_MASTER_KEYS", "ALLWAN_BLIND_INDEX_KEY"}
        if service == WEB:
            assert not back_end & set(env)
        else:
            assert back_end <= set(env)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_web_pages_reach_only_the_gateway_with_only_their_own_secrets(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    r = rendered[overlay]
    (container,) = pod_spec(r.named("Deployment", WEB))["containers"]
    env = env_of(r, container)
    assert env["ALLWAN_GATEWAY_URL"] == "http://gateway"
    assert r.named("Service", "gateway")["spec"]["ports"][0]["port"] == 80
    secret_names = {name for name, value in env.items() if value == "<secret>"}
    assert secret_names == set(WEB_SECRETS)
    assert not {k for k in env if k.startswith(("ALLWAN_KAFKA", "ALLWAN_MONGO", "ALLWAN_SMTP"))}
    labels = pod_spec_labels(r, WEB)
    assert "allwan.io/kafka-client" not in labels
    assert "allwan.io/mongo-client" not in labels
    # Only the ingress controller reaches the pages (web-ingress): they take the browser's
    # address from its X-Forwarded-For.
    assert env["ALLWAN_FORWARDED_ALLOW_IPS"] == "*"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_browser_keeps_reaching_the_web_pod_that_holds_its_session(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    """Sessions live in a pod's memory: the Service pins by client address, and so does the
    Ingress (the controller balances to the pods past the Service)."""
    r = rendered[overlay]
    service = r.named("Service", WEB)["spec"]
    assert service["sessionAffinity"] == "ClientIP"
    assert service["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] >= 3600
    ingress = r.named("Ingress", WEB)
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/upstream-hash-by"] == "$remote_addr"
    assert "nginx.ingress.kubernetes.io/affinity" not in annotations  # no routing cookie


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grace_period_exceeds_the_graceful_timeout(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    default = RuntimeSettings.model_fields["graceful_timeout_s"].default
    for manifest, spec in pods(rendered[overlay]):
        if manifest["kind"] == "Job":
            continue
        for container in spec["containers"]:
            env = env_of(rendered[overlay], container)
            if "ALLWAN_SERVICE_NAME" not in env:
                continue  # not an allwan service
            graceful = float(env.get("ALLWAN_GRACEFUL_TIMEOUT_S", default))
            pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {})
            needed = graceful + pre_stop.get("seconds", 0)
            grace = spec.get("terminationGracePeriodSeconds", 30)
            assert grace > needed, (
                f"{manifest['metadata']['name']}: grace {grace}s <= graceful timeout "
                f"{graceful}s + preStop {needed - graceful}s"
            )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_keda_scales_within_the_partitions_of_what_it_consumes(
    rendered: dict[str, Rendered], overlay: str, gen_topics: ModuleType
) -> None:
    partitions = {topic.name: topic.partitions for topic in gen_topics.all_topics()}
    subscriptions = {
        (consumer.group, topic)
        for consumer in gen_topics.discover_consumers()
        for topic in consumer.topics
    }
    scaled = {m["metadata"]["name"]: m for m in rendered[overlay].of_kind("ScaledObject")}
    assert set(scaled) == set(KEDA_SCALED)
    for name, scaled_object in scaled.items():
        spec = scaled_object["spec"]
        assert spec["scaleTargetRef"]["name"] == name
        topics = []
        for trigger in spec["triggers"]:
            group, topic = trigger["metadata"]["consumerGroup"], trigger["metadata"]["topic"]
            assert group.startswith(f"{name}."), f"{name} scales on another service's {group}"
            assert (group, topic) in subscriptions, f"{group} does not consume {topic}"
            assert trigger["metadata"].get("allowIdleConsumers", "false") == "false"
            topics.append(topic)
        widest = max(partitions[topic] for topic in topics)
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= widest, (
            f"{name}: maxReplicaCount {spec['maxReplicaCount']} > {widest} partitions"
        )
    assert rendered[overlay].named("HorizontalPodAutoscaler", "gateway")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_deny_by_default_and_allow_what_each_part_needs(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    policies = {
        m["metadata"]["name"]: m["spec"] for m in rendered[overlay].of_kind("NetworkPolicy")
    }
    deny = policies["default-deny-all"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny
    assert "egress" not in deny
    dns = policies["allow-dns"]["egress"][0]["ports"]
    assert {(p["protocol"], p["port"]) for p in dns} == {("UDP", 53), ("TCP", 53)}

    def egress_ports(labels: dict[str, str]) -> set[int]:
        return {
            port["port"]
            for spec in policies.values()
            if "Egress" in spec["policyTypes"]
            and labels_match(spec["podSelector"].get("matchLabels", {}), labels)
            for rule in spec.get("egress", [])
            for port in rule.get("ports", [])
        }

    for service in SERVICES:
        labels = pod_spec_labels(rendered[overlay], service)
        assert {9092, 27017, 4318, 53} <= egress_ports(labels), service
    web = egress_ports(pod_spec_labels(rendered[overlay], WEB))
    assert {8080, 4318, 53} <= web
    assert not {9092, 27017} & web

    def ingress_from(target: str) -> list[dict[str, Any]]:
        labels = pod_spec_labels(rendered[overlay], target)
        return [
            peer
            for spec in policies.values()
            if "Ingress" in spec["policyTypes"]
            and labels_match(spec["podSelector"].get("matchLabels", {}), labels)
            for rule in spec.get("ingress", [])
            for peer in rule.get("from", [])
        ]

    web_peer = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": WEB}}}
    assert web_peer in ingress_from("gateway")
    assert [peer for peer in ingress_from(WEB) if "namespaceSelector" in peer]
    assert [peer for peer in ingress_from(WEB) if "podSelector" in peer] == []
    notifier = egress_ports(pod_spec_labels(rendered[overlay], "notifier"))
    assert notifier & {587, 465, 1025}, "the notifier reaches no SMTP server"
    gateway_in = policies["gateway-ingress"]["ingress"][0]
    assert gateway_in["ports"] == [{"protocol": "TCP", "port": 8080}]
    assert "namespaceSelector" in gateway_in["from"][0]
    kafka = rendered[overlay].of_kind("Kafka")[0]
    peers = kafka["spec"]["kafka"]["listeners"][0]["networkPolicyPeers"]
    assert {"podSelector": {"matchLabels": {"allwan.io/kafka-client": "true"}}} in peers
    for service in SERVICES:
        assert pod_spec_labels(rendered[overlay], service)["allwan.io/kafka-client"] == "true"


def pod_spec_labels(rendered: Rendered, name: str) -> dict[str, str]:
    labels: dict[str, str] = rendered.named("Deployment", name)["spec"]["template"]["metadata"][
        "labels"
    ]
    return labels


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_has_a_disruption_budget_and_the_gateway_an_ingress_with_tls(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    r = rendered[overlay]
    budgets = [b["spec"]["selector"]["matchLabels"] for b in r.of_kind("PodDisruptionBudget")]
    for kind in ("Deployment", "StatefulSet"):
        for manifest in r.of_kind(kind):
            if manifest["metadata"]["name"] == "mailpit":
                continue  # dev tool, one instance on purpose
            labels = manifest["spec"]["template"]["metadata"]["labels"]
            assert any(labels_match(b, labels) for b in budgets), manifest["metadata"]["name"]
    hosts = set()
    for name in ("gateway", WEB):
        ingress = r.named("Ingress", name)["spec"]
        assert ingress["tls"]
        assert ingress["tls"][0]["hosts"] == [ingress["rules"][0]["host"]]
        backend = ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]
        assert backend["name"] == name
        hosts.add(ingress["rules"][0]["host"])
    assert len(hosts) == 2, "the pages and the API on hosts of their own"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_come_only_from_generated_secrets(
    rendered: dict[str, Rendered], overlay: str
) -> None:
    """Every Secret is a secretGenerator's (name-hash suffixed), and every secret the dev
    launcher knows of (``DEV_SECRETS``) reaches the gateway but the web pages' own, which
    reach only the pages; the others get only theirs."""
    r = rendered[overlay]
    for secret in r.of_kind("Secret"):
        assert re.search(r"-[a-z0-9]{10}$", secret["metadata"]["name"]), secret["metadata"]
    gateway = env_of(r, pod_spec(r.named("Deployment", "gateway"))["containers"][0])
    web_only = set(WEB_SECRETS) - {"ALLWAN_GATEWAY_STOREFRONT_API_KEY"}
    assert set(DEV_SECRETS) - web_only | {STAFF_ACCOUNTS} <= set(gateway)
    assert not web_only & set(gateway)
    for service in ("orders", "consent", "notifier"):
        env = env_of(r, pod_spec(r.named("Deployment", service))["containers"][0])
        assert not {"ALLWAN_GATEWAY_JWT_SECRET", "ALLWAN_SALLA_WEBHOOK_SECRET"} & set(env)
    notifier = env_of(r, pod_spec(r.named("Deployment", "notifier"))["containers"][0])
    assert {"ALLWAN_SMTP_HOST", "ALLWAN_SMTP_PASSWORD", "ALLWAN_MAIL_FROM"} <= set(notifier)


def test_every_generated_secret_file_has_an_example_and_a_readme_line() -> None:
    for overlay in OVERLAYS:
        directory = K8S / "overlays" / overlay
        kustomization = (directory / "kustomization.yaml").read_text()
        files = set(re.findall(r"=secrets/([a-z0-9-]+\.txt)$", kustomization, re.MULTILINE))
        examples = {
            p.name.removesuffix(".example") for p in (directory / "secrets").glob("*.example")
        }
        assert files == examples, overlay
        readme = (directory / "secrets" / "README.md").read_text()
        for name in files:
            assert name in readme, f"{overlay}/secrets/README.md does not list {name}"


def test_no_secret_material_is_tracked_by_git() -> None:
    try:
        tracked = (
            subprocess.run(
                ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=60
            )
            .stdout.decode()
            .split("\0")
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    suspicious = re.compile(
        r"(^|/)(\.env|[^/]*\.env|secrets/[^/]*\.txt|[^/]*\.(pem|key|p12|pfx|jks|keystore)"
        r"|id_(rsa|ed25519|ecdsa)[^/]*|kubeconfig[^/]*|secrets\.env)$"
    )
    found = [p for p in tracked if p and suspicious.search(p) and p != "example.env"]
    assert not found, f"secret material tracked by git: {found}"
    # No literal Secret objects in the deploy files: secrets come from secretGenerators.
    for path in tracked:
        if path.startswith("deploy/") and path.endswith((".yaml", ".yml")):
            text = (REPO / path).read_text()
            assert not re.search(r"^kind:\s*Secret\s*$", text, re.MULTILINE), path


def test_generated_topics_are_up_to_date(gen_topics: ModuleType) -> None:
    stale = [
        str(path.relative_to(REPO))
        for path, text in gen_topics.outputs().items()
        if not path.exists() or path.read_text() != text
    ]
    assert not stale, f"stale: {stale}; run `uv run python deploy/k8s/gen_topics.py`"


def test_every_consumer_group_has_its_dead_letter_topic(
    gen_topics: ModuleType, rendered: dict[str, Rendered]
) -> None:
    consumers = gen_topics.discover_consumers()
    assert {consumer.service for consumer in consumers} == set(SERVICES)
    names = {t["spec"]["topicName"] for t in rendered["prod"].of_kind("KafkaTopic")}
    for consumer in consumers:
        assert f"allwan.dlq.{consumer.group}" in names
        assert set(consumer.topics) <= names


# ---- compose ----------------------------------------------------------------------------------


def test_compose_file_matches_the_compose_spec() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(REPO / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
