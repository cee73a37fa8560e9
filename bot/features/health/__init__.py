"""How a target is doing overall: status, alerts, anomalies and key metrics in one answer."""
