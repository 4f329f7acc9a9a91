# syntax=docker/dockerfile:1
# cm-butler-gateway: multi-stage build; the runtime image runs the gateway as a non-root user.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Build wheels for the client (generated stubs) and the server, then install both into a venv.
COPY client/ client/
COPY server/ server/
COPY pyproject.toml README.md ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --upgrade pip \
    && /opt/venv/bin/pip wheel --wheel-dir /wheels ./client . \
    && /opt/venv/bin/pip install --no-index --find-links /wheels cm-butler-gateway-client cm-butler-gateway

FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
# libpq for psycopg's pure-Python fallback and for batch-side tooling parity.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 1000 gateway \
    && useradd --system --uid 1000 --gid gateway --home-dir /home/gateway --create-home gateway
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CM_BUTLER_GATEWAY_DATA_DIR=/home/gateway/data \
    CM_BUTLER_GATEWAY_LISTEN_ADDRESS=0.0.0.0:50051
USER 1000:1000
WORKDIR /home/gateway
EXPOSE 50051
# gRPC health is the readiness signal; Kubernetes probes use it natively (see deploy/pod.yaml).
ENTRYPOINT ["cm-butler-gateway"]
CMD ["serve"]
