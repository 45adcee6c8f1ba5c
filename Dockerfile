# One small image for every program of the project; the command picks the program.
# Build: docker build -t ordergroove-actions .
FROM python:3.11.7-slim-bookworm AS build
WORKDIR /src
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir uv==0.13.9
COPY requirements.runtime.lock ./
RUN /opt/venv/bin/uv pip sync --python /opt/venv/bin/python --require-hashes requirements.runtime.lock
COPY pyproject.toml README.md ./
COPY protos ./protos
COPY services ./services
COPY gateway ./gateway
RUN /opt/venv/bin/uv pip install --python /opt/venv/bin/python --no-deps .

FROM python:3.11.7-slim-bookworm
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin app \
    && mkdir /data && chown app /data
WORKDIR /data
USER 10001
# gRPC (actions-service), HTTP (actions-gateway, its /metrics too), Prometheus (actions-service).
EXPOSE 50051 8080 9464
# The gRPC service by default; compose and Kubernetes name the program explicitly.
CMD ["actions-service"]
