"""What looks unusual: the ``anomaly_query`` handler and its report, over the
:class:`~bot.features.anomaly.ports.AnomalyDetector` port."""
