"""docker-compose.yml, the Dockerfile and the helper scripts, checked without a Docker engine.

The image cannot be built here; its install steps can: the builder stage's ``uv sync``
commands run against a copy of what its COPY lines copy, and every service's CLI then starts
from that venv alone (no source tree), as it would in the final stage.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import REPO, load_script

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(600)]
SERVICES = ("gateway", "orders", "consent", "notifier", "privacy")
"""The back end: Kafka and MongoDB clients."""
WEB = "web"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def test_compose_runs_everything_with_healthchecks_and_ordered_start(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    expected = {"kafka", "kafka-topics", "mongo", "otel-collector", "jaeger", "mailpit"}
    assert {*expected, *SERVICES} <= set(services)
    assert services["kafka"]["image"] == "apache/kafka:4.1.2"
    assert services["mongo"]["image"] == "mongo:8.0"
    # The collector's image is distroless (nothing to probe with): documented in the file.
    without = {name for name, s in services.items() if "healthcheck" not in s}
    assert without == {"kafka-topics", "otel-collector"}, without
    assert services["kafka-topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in SERVICES:
        service = services[name]
        assert service["command"] == [f"allwan_{name}.entrypoints.cli", "serve"]
        depends = service["depends_on"]
        assert depends["kafka-topics"]["condition"] == "service_completed_successfully"
        assert depends["mongo"]["condition"] == "service_healthy"
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        env = service["environment"]
        assert env["ALLWAN_SERVICE_NAME"] == name
        assert env["ALLWAN_KAFKA_BOOTSTRAP"] == "kafka:19092"
    assert services["notifier"]["depends_on"]["mailpit"]["condition"] == "service_healthy"
    assert services["notifier"]["environment"]["ALLWAN_SMTP_HOST"] == "mailpit"
    ports = {
        name: [p.rsplit(":", 1)[0] for p in s.get("ports", [])] for name, s in services.items()
    }
    assert ports["gateway"] == ["127.0.0.1:8000"]
    assert ports[WEB] == ["127.0.0.1:8005"]
    assert ports["mailpit"] == ["127.0.0.1:8025"]
    assert ports["jaeger"] == ["127.0.0.1:16686"]
    for published in ports.values():
        assert all(p.startswith("127.0.0.1:") for p in published), published


def test_compose_runs_the_web_pages_after_the_gateway_and_as_its_client_only(
    compose: dict[str, Any],
) -> None:
    web = compose["services"][WEB]
    assert web["command"] == ["allwan_web.entrypoints.cli", "serve"]
    assert web["depends_on"]["gateway"]["condition"] == "service_healthy"
    assert not {"kafka-topics", "mongo"} & set(web["depends_on"])
    assert web["read_only"] is True
    assert web["cap_drop"] == ["ALL"]
    assert "/health/ready" in " ".join(web["healthcheck"]["test"])
    env = web["environment"]
    assert env["ALLWAN_SERVICE_NAME"] == WEB
    assert env["ALLWAN_GATEWAY_URL"] == "http://gateway:8080"
    assert not {k for k in env if k.startswith(("ALLWAN_KAFKA", "ALLWAN_MONGO", "ALLWAN_MASTER"))}


def test_the_gateway_trusts_the_forwarded_address_of_the_web_pages_alone(
    compose: dict[str, Any],
) -> None:
    """The pages forward the browser's address (consent proof, C2); any other peer's
    X-Forwarded-For, the host's through the published port included, is not believed."""
    web_address = compose["services"][WEB]["networks"]["default"]["ipv4_address"]
    trusted = compose["services"]["gateway"]["environment"]["ALLWAN_FORWARDED_ALLOW_IPS"]
    assert trusted == web_address
    (pool,) = compose["networks"]["default"]["ipam"]["config"]
    subnet = ipaddress.ip_network(pool["subnet"])
    assert ipaddress.ip_address(web_address) in subnet
    assert ipaddress.ip_address(web_address) != next(subnet.hosts())  # not the bridge's own
    # Docker's default pools (172.17-31.x.x, 192.168.x.x) give other networks' subnets.
    for pool_default in ("172.16.0.0/12", "192.168.0.0/16"):
        assert not subnet.overlaps(ipaddress.ip_network(pool_default))


def test_compose_takes_every_secret_from_env_and_example_env_names_them(
    compose: dict[str, Any],
) -> None:
    text = (REPO / "docker-compose.yml").read_text()
    example = (REPO / "example.env").read_text()
    referenced = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    listed = set(re.findall(r"^([A-Z0-9_]+)=", example, re.MULTILINE))
    assert referenced <= listed, referenced - listed
    from allwan_devstack.system import DEV_SECRETS, STAFF_ACCOUNTS, WEB_SECRETS

    assert set(DEV_SECRETS) <= listed
    gateway = compose["services"]["gateway"]["environment"]
    web = compose["services"][WEB]["environment"]
    web_only = set(WEB_SECRETS) - {"ALLWAN_GATEWAY_STOREFRONT_API_KEY"}
    assert set(DEV_SECRETS) - web_only | {STAFF_ACCOUNTS} <= set(gateway)
    assert not web_only & set(gateway)
    secrets_of_web = {name for name in web if name in {*DEV_SECRETS, STAFF_ACCOUNTS}}
    assert secrets_of_web == set(WEB_SECRETS)
    for line in example.splitlines():
        if "=" in line and not line.startswith("#"):
            value = line.split("=", 1)[1]
            assert "change-me" in value or value in {"allwan", "dev1"}, f"not a placeholder: {line}"


def staff_dev_hash(values: dict[str, str]) -> str:
    accounts = json.loads(values["ALLWAN_STAFF_ACCOUNTS"])
    assert set(accounts) == {"staff-dev"}
    hashed: str = accounts["staff-dev"]["password_hash"]
    return hashed


def test_make_env_writes_every_variable_once_and_privately(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_env = load_script(REPO / "deploy" / "compose" / "make-env", "allwan_make_env")
    target = tmp_path / ".env"
    monkeypatch.setattr(make_env, "ENV_FILE", target)
    assert make_env.main([]) == 0
    first = make_env.read(target)
    listed = set(re.findall(r"^([A-Z0-9_]+)=", (REPO / "example.env").read_text(), re.MULTILINE))
    assert set(first) == listed
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert first["ALLWAN_MASTER_KEYS"].startswith(f"{first['ALLWAN_MASTER_KEY_ID']}:")
    # Run again: nothing changes. Drop one: only it is added.
    assert make_env.main([]) == 0
    assert make_env.read(target) == first
    target.write_text("".join(f"{k}={v}\n" for k, v in first.items() if k != "ALLWAN_IP_HASH_KEY"))
    assert make_env.main([]) == 0
    again = make_env.read(target)
    assert {k: v for k, v in again.items() if k != "ALLWAN_IP_HASH_KEY"} == {
        k: v for k, v in first.items() if k != "ALLWAN_IP_HASH_KEY"
    }
    assert again["ALLWAN_IP_HASH_KEY"] != first["ALLWAN_IP_HASH_KEY"]


def test_make_env_gives_the_gateway_only_the_hash_of_the_dev_staff_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from allwan_runtime.passwords import verify_password

    make_env = load_script(REPO / "deploy" / "compose" / "make-env", "allwan_make_env")
    target = tmp_path / ".env"
    monkeypatch.setattr(make_env, "ENV_FILE", target)
    assert make_env.main([]) == 0
    values = make_env.read(target)
    password = values["ALLWAN_DEV_STAFF_PASSWORD"]
    assert verify_password(password, staff_dev_hash(values))
    assert password not in values["ALLWAN_STAFF_ACCOUNTS"]
    # Single-quoted in .env: compose reads it literally, the hash's `$` included.
    (line,) = [line for line in target.read_text().splitlines() if line.startswith("ALLWAN_STAFF_")]
    assert line == f"ALLWAN_STAFF_ACCOUNTS='{values['ALLWAN_STAFF_ACCOUNTS']}'"
    # A .env from before the staff console: the accounts are made for the password it holds.
    target.write_text(
        "".join(f"{k}={v}\n" for k, v in values.items() if k != "ALLWAN_STAFF_ACCOUNTS")
    )
    assert make_env.main([]) == 0
    assert verify_password(password, staff_dev_hash(make_env.read(target)))
    # Accounts of one's own and no development password: both left alone.
    own = {k: v for k, v in values.items() if k != "ALLWAN_DEV_STAFF_PASSWORD"}
    target.write_text("".join(f"{k}='{v}'\n" for k, v in own.items()))
    assert make_env.main([]) == 0
    assert make_env.read(target) == own


def test_make_secrets_fills_an_overlay_that_then_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deploy_tools: Any
) -> None:
    from allwan_runtime.keystore import MasterKeyring

    from tests.deploy.conftest import K8S, kustomize_build

    tree = tmp_path / "k8s"
    shutil.copytree(K8S, tree, ignore=shutil.ignore_patterns("*.txt"))
    make_secrets = load_script(K8S / "make-secrets", "allwan_make_secrets")
    monkeypatch.setattr(make_secrets, "OVERLAYS", tree / "overlays")
    for overlay in ("dev", "prod"):
        assert make_secrets.main([overlay]) == 0
        secrets = tree / "overlays" / overlay / "secrets"
        values = {p.stem: p.read_text() for p in secrets.glob("*.txt")}
        examples = {p.name.removesuffix(".txt.example") for p in secrets.glob("*.example")}
        assert examples == set(values)
        assert not any(v.endswith("\n") for v in values.values())
        MasterKeyring.parse(values["master-keys"], values["blind-index-key"])  # well-formed
        assert values["mongo-root-password"] in values["mongo-url"]
        assert values["staff-accounts"] == "{}"  # nobody signs in until added
        built = kustomize_build(deploy_tools, tree / "overlays" / overlay)
        assert built.returncode == 0, built.stderr
        assert make_secrets.main([overlay]) == 0  # idempotent
        assert {p.stem: p.read_text() for p in secrets.glob("*.txt")} == values


def test_make_secrets_adds_a_staff_account_by_its_hash_and_keeps_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from allwan_runtime.passwords import verify_password

    from tests.deploy.conftest import K8S

    tree = tmp_path / "k8s"
    shutil.copytree(K8S, tree, ignore=shutil.ignore_patterns("*.txt"))
    make_secrets = load_script(K8S / "make-secrets", "allwan_make_secrets")
    monkeypatch.setattr(make_secrets, "OVERLAYS", tree / "overlays")
    path = tree / "overlays" / "prod" / "secrets" / "staff-accounts.txt"
    assert make_secrets.main(["prod"]) == 0

    make_secrets.add_staff("prod", "nora", "Nora O'Neil", "a long pass phrase 1")
    make_secrets.add_staff("prod", "sami", "سامي", "another pass phrase 2")
    make_secrets.add_staff("prod", "nora", "Nora O'Neil", "a new pass phrase 3")

    accounts = json.loads(path.read_text())
    assert set(accounts) == {"nora", "sami"}
    assert accounts["sami"]["name"] == "سامي"
    assert verify_password("a new pass phrase 3", accounts["nora"]["password_hash"])
    assert not verify_password("a long pass phrase 1", accounts["nora"]["password_hash"])
    assert "pass phrase" not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(SystemExit, match="shorter than"):
        make_secrets.add_staff("prod", "omar", "Omar", "short")
    with pytest.raises(SystemExit, match="staff id"):
        make_secrets.add_staff("prod", "omar@store", "Omar", "a long pass phrase 4")
    assert set(json.loads(path.read_text())) == {"nora", "sami"}


def test_create_topics_creates_each_listed_topic_and_fails_if_one_fails(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    fake = tmp_path / "bin" / "kafka-topics.sh"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {shlex.quote(str(log))}\n'
        'case "$*" in *allwan.dlq.orders.views*) [ -n "${FAIL_ONE:-}" ] && exit 1 ;; esac\n'
        "exit 0\n"
    )
    fake.chmod(0o755)
    script = REPO / "deploy" / "compose" / "create-topics.sh"
    topics = REPO / "deploy" / "compose" / "topics.txt"
    env = {**os.environ, "KAFKA_BIN": str(fake.parent), "TOPICS_FILE": str(topics)}
    done = subprocess.run(
        ["sh", str(script)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    lines = topics.read_text().splitlines()
    expected = [line.split() for line in lines if not line.startswith("#")]
    creates = [c for c in calls if "--create" in c]
    assert len(creates) == len(expected)
    for name, partitions, retention in expected:
        assert any(
            f"--topic {name} --partitions {partitions} " in c and f"retention.ms={retention}" in c
            for c in creates
        ), name
    log.unlink()
    failing = subprocess.run(
        ["sh", str(script)],
        env={**env, "FAIL_ONE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert failing.returncode != 0


# ---- the image ----------------------------------------------------------------------------


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), split by FROM."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    stages: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_dockerfile_final_stage_is_slim_unprivileged_and_healthchecked() -> None:
    *_, builder, final = dockerfile_stages()
    assert final[0] == "FROM ${PYTHON_IMAGE}"
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in (REPO / "Dockerfile").read_text()
    assert any(line.startswith("COPY --from=uv ") for line in builder)
    assert any("uv sync --frozen --no-dev --all-packages" in line for line in builder)
    body = "\n".join(final)
    assert "USER 10001:10001" in body
    assert re.search(r"HEALTHCHECK .*urllib\.request.*/health/live", body)
    assert 'ENTRYPOINT ["python", "-m"]' in body
    for tool in ("curl", "wget", "apt-get install", "pip install", "uv ", "gcc"):
        assert tool not in body, f"final stage uses {tool}"
    copies = [line for line in final if line.startswith("COPY")]
    assert copies == ["COPY --from=builder /app/.venv /app/.venv"]
    ignore = (REPO / ".dockerignore").read_text()
    for pattern in ("**/secrets/*.txt", "**/*.env", "**/.venv"):
        assert pattern in ignore


def test_the_builder_stage_installs_a_venv_every_service_runs_from(tmp_path: Path) -> None:
    """Replays the builder stage's COPY and ``uv sync`` lines on this machine."""
    _, builder, _ = dockerfile_stages()
    context = tmp_path / "src"
    context.mkdir()
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    env.update(
        {
            "UV_PROJECT_ENVIRONMENT": str(venv),
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_PYTHON": os.path.realpath(sys.executable),
            "UV_LINK_MODE": "copy",
            "UV_NO_PROGRESS": "1",
        }
    )
    ignored = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", "*.txt", ".mypy_cache")
    for line in builder:
        words = shlex.split(line)
        if words[0] == "COPY" and not words[1].startswith("--from"):
            *sources, destination = words[1:]
            for source in sources:
                target = context / destination.rstrip("/")
                path = REPO / source
                if path.is_dir():
                    shutil.copytree(path, target, ignore=ignored, dirs_exist_ok=True)
                else:
                    target = target / path.name if destination.endswith("/") else target
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target)
        elif words[0] == "RUN":
            command = [w for w in words[1:] if not w.startswith("--mount=")]
            assert command[:2] == ["uv", "sync"], f"unexpected builder step {line}"
            done = subprocess.run(
                command,
                cwd=context,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr
    shutil.rmtree(context)  # the final stage has no source tree
    python = venv / "bin" / "python"
    clean = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    for service in (*SERVICES, WEB):
        done = subprocess.run(
            [str(python), "-m", f"allwan_{service}.entrypoints.cli", "--help"],
            env=clean,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "serve" in done.stdout
    keys = subprocess.run(
        [str(python), "-m", "allwan_runtime.keys_cli", "--help"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert keys.returncode == 0, keys.stderr
    assert "rewrap" in keys.stdout
    # `serve` imports uvicorn only when it runs: it must be in the image all the same.
    server = subprocess.run(
        [str(python), "-c", "import uvicorn"],
        env=clean,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert server.returncode == 0, server.stderr
    dev_only = subprocess.run(
        [str(python), "-c", "import allwan_devstack"],
        env=clean,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert dev_only.returncode != 0, "the devstack belongs in no image"
