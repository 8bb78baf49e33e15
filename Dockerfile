# syntax=docker/dockerfile:1
# Multi-stage: dependencies are built in a throwaway stage; the runtime image holds the venv and
# the source tree (Alembic reads migrations/ beside app/), runs as a non-root user, and never
# migrates on start — `docker run IMAGE makker migrate` is an explicit step of each release.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
COPY matching ./matching
RUN pip install --upgrade pip && pip install . && python -m matching._warmup

FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PORT=8000 \
    MAKKER_DATABASE_URL=sqlite:////data/makker.db
RUN groupadd --system makker \
    && useradd --system --gid makker --home-dir /app --shell /usr/sbin/nologin makker \
    && mkdir -p /data && chown makker:makker /data
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --chown=root:root alembic.ini ./
COPY --chown=root:root migrations ./migrations
COPY --chown=root:root app ./app
COPY --chown=root:root matching ./matching
USER makker
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2)"]
CMD ["makker", "serve", "--host", "0.0.0.0"]
