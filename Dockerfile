# syntax=docker/dockerfile:1
# SmartCloudOps bot image: `smartcloudops serve` on PORT (8080) as an unprivileged user.
# Build: docker build -t smartcloudops:0.1.0 .   (the same image runs `smartcloudops migrate`)

FROM python:3.11-slim AS build
# SMARTCLOUDOPS_COMPILE=1: setup.py compiles the intent parser with mypyc (about twice as
# fast; bench/RESULTS_SLACK.md), which needs a C compiler here and nothing at run time.
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SMARTCLOUDOPS_COMPILE=1
# The compiler comes from the base image's Debian release; a pinned version would break
# the build at that release's next point update (it is not in the final image).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY intents ./intents
COPY ml ./ml
COPY storage ./storage
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8080 \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp/matplotlib
RUN groupadd --system --gid 10001 smartcloudops \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin smartcloudops
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]
CMD ["smartcloudops", "serve"]
