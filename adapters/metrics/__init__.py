"""Metrics sources behind :class:`bot.features.metrics.ports.MetricsSource`: a real Prometheus
(:mod:`adapters.metrics.prometheus`) and the embedded demo (:mod:`adapters.metrics.demo`)."""
