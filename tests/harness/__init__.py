"""Test harness: starts real services (Redis, PostgreSQL, Prometheus, Alertmanager) on spare
loopback ports for the integration tests. Every module here is loaded as a pytest plugin."""
