# syntax=docker/dockerfile:1
# One image for every service and the web pages; the command picks what runs:
#   docker run IMAGE allwan_orders.entrypoints.cli serve       (the default is the gateway)
#   docker run IMAGE allwan_web.entrypoints.cli serve          (the store's web pages)
#   docker run IMAGE allwan_consent.entrypoints.cli rebuild
#   docker run IMAGE allwan_runtime.keys_cli rewrap
# Configuration comes only from ALLWAN_* environment variables (deploy/README.md).

ARG PYTHON_IMAGE=python:3.11-slim
ARG UV_VERSION=0.13.8

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

# ---- builder: resolve exactly uv.lock into /app/.venv --------------------------------------
FROM ${PYTHON_IMAGE} AS builder
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src

# Third-party dependencies first, from the lock and the members' pyproject files only, so this
# layer is rebuilt only when they change.
COPY pyproject.toml uv.lock ./
COPY contracts/pyproject.toml contracts/
COPY runtime/pyproject.toml runtime/
COPY infra/pyproject.toml infra/
COPY services/orders/pyproject.toml services/orders/
COPY services/consent/pyproject.toml services/consent/
COPY services/notifier/pyproject.toml services/notifier/
COPY services/gateway/pyproject.toml services/gateway/
COPY services/privacy/pyproject.toml services/privacy/
COPY services/web/pyproject.toml services/web/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --all-packages --no-install-workspace

# Then our own packages, installed as wheels (--no-editable): the venv is all the final image
# needs. The devstack (local servers for development) is left out of it.
COPY contracts contracts
COPY runtime runtime
COPY services services
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --all-packages --no-editable \
        --no-install-package allwan-devstack

# ---- final: the interpreter, the venv, an unprivileged user; no compiler, no uv ------------
FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 allwan \
    && useradd --system --uid 10001 --gid allwan --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin allwan
COPY --from=builder /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ALLWAN_HTTP_HOST=0.0.0.0 \
    ALLWAN_HTTP_PORT=8080
WORKDIR /app
USER 10001:10001
EXPOSE 8080
# Liveness only (the event loop answers): readiness (/health/ready) is the orchestrator's.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/live' % os.environ.get('ALLWAN_HTTP_PORT', '8080'), timeout=4)"]
ENTRYPOINT ["python", "-m"]
CMD ["allwan_gateway.entrypoints.cli", "serve"]
