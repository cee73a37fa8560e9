"""SmartCloudOps core: platform-neutral messages, dispatch, handlers, config, CLI and HTTP server.

The core never imports a platform SDK, Redis, SQLAlchemy or scikit-learn; adapters and storage
implement the ports in :mod:`bot.core.ports` and the features' ``ports`` modules and are wired
together in :mod:`bot.app.services`.
"""
