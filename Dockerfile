# Two images from one file; the command picks the program.
#   docker build -t ordergroove-actions .     the production image (the last stage): the
#                                             `ordergroove-actions` package only (actions-service,
#                                             actions-gateway), no sandbox, no dev stack
#   docker build --target sandboxes .         the sandboxes for docker compose's local product
FROM python:3.11.7-slim-bookworm AS build
WORKDIR /src
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir uv==0.13.9
COPY requirements.runtime.lock ./
RUN /opt/venv/bin/uv pip sync --python /opt/venv/bin/python --require-hashes requirements.runtime.lock
COPY pyproject.toml README.md ./
COPY protos ./protos
COPY common ./common
COPY services ./services
COPY gateway ./gateway
# A wheel of what runs in production (pyproject.toml, [tool.hatch.build.targets.wheel]).
RUN /opt/venv/bin/uv pip install --python /opt/venv/bin/python --no-deps .

# The production package, and beside it the sandboxes' modules (with the dev stack's defaults
# they read) and their commands (devtools/).
FROM build AS sandboxes-build
COPY devtools ./devtools
RUN /opt/venv/bin/uv pip install --python /opt/venv/bin/python --no-deps ./devtools \
    && package="$(/opt/venv/bin/python -P -c 'import services, os; print(os.path.dirname(services.__file__))')" \
    && cp -r services/ordergroove_sandbox services/gladly_sandbox services/devstack.py "$package/"

FROM python:3.11.7-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin app \
    && mkdir /data && chown app /data
WORKDIR /data
USER 10001

FROM runtime AS sandboxes
COPY --from=sandboxes-build /opt/venv /opt/venv
# The Ordergroove sandbox, the Gladly sandbox; compose names the program.
EXPOSE 8181 8282
CMD ["gladly-sandbox"]

FROM runtime AS production
COPY --from=build /opt/venv /opt/venv
# gRPC (actions-service), HTTP (actions-gateway, its /metrics too), Prometheus (actions-service).
EXPOSE 50051 8080 9464
# The gRPC service by default; compose and Kubernetes name the program explicitly.
CMD ["actions-service"]
