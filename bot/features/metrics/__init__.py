"""Metric lookups: the catalog, raw PromQL, what is down and what is firing, over the
:class:`~bot.features.metrics.ports.MetricsSource` and :class:`AlertSource` ports."""
