"""The kernel: the message and reply model, errors, the ports every feature shares, the
registry, the dispatcher and the responder (answering once), conversation memory, telemetry
and the rendering helpers (formatting, charts, plain-text tables). It imports nothing of the
features, adapters, storage or ml (an import-linter contract enforces it)."""
