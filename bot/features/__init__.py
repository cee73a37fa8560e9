"""What the bot can do, one package per feature: metrics, anomaly, forecast, health, alerts,
remediation, help and the scheduled jobs. Each holds its handlers, model, ports and rendering
helpers; features may use each other but never in a cycle, and never adapters, storage or ml
(import-linter contracts enforce both)."""
