"""Alertmanager: the API v2 client (silences, alerts) and the alert side's wiring."""
