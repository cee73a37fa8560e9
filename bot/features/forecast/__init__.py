"""Where a metric is heading, over the :class:`~bot.features.forecast.ports.Forecaster` port."""
