"""OpenTelemetry for both programs: providers and exporters (`setup`), JSON logs (`logs`), the
ids of the current trace (`context`), instrumented clients and servers (`http_client`, `rpc`),
the Prometheus endpoint (`prometheus`) and the names of our own span attributes (`attributes`)."""
