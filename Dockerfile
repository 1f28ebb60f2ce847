# One image for every process of the maintenance platform; the command picks the process:
#   docker run IMAGE services.intake      (services.dispatch, services.sla, ...)
#   docker run IMAGE services.gateway     (the default)
#   docker run IMAGE sensors_sim run --broker mqtt://broker:1883
# docker-compose.yml and k8s/ set the command, the listen address (<PREFIX>_HOST=0.0.0.0)
# and HEALTHCHECK_URL per process.
# Build stage: a virtualenv with the project and its dependencies (all from wheels).
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml ./
COPY protos ./protos
COPY services ./services
COPY sensors_sim ./sensors_sim
COPY ml ./ml
# The simulator's `register` talks REST with httpx, a development dependency of the
# project: the same pin as pyproject.toml's (tests/ops checks they agree).
RUN /opt/venv/bin/pip install --no-compile . httpx==0.28.1 \
    && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} + \
    && /opt/venv/bin/python -m pip uninstall --quiet --yes pip

# The web application's browser library (ECharts), exactly as web/package-lock.json pins it
# (npm ci without the test-only packages).
FROM node:20-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Final stage: the slim base, the virtualenv and nothing else (no compilers, no caches).
FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
COPY config/container/healthcheck.py /opt/healthcheck.py
# The web application the gateway serves at /app/ (GATEWAY_WEB_DIR).
COPY web/app /opt/web/app
COPY --from=web /web/node_modules/echarts/dist /opt/web/node_modules/echarts/dist
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json \
    HEALTHCHECK_URL=http://127.0.0.1:8080/healthz \
    GATEWAY_WEB_DIR=/opt/web
WORKDIR /tmp
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/opt/healthcheck.py"]
ENTRYPOINT ["python", "-m"]
CMD ["services.gateway"]
