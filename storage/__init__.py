"""Storage behind the core's ports: the outer layer that may import Redis and SQLAlchemy.

Each store comes as an embedded default (in-process memory, SQLite) and a shared backend for
several replicas (Redis, PostgreSQL) that behave the same: one contract test suite per port runs
against both. The composition root (:mod:`bot.app.services`) picks one from the settings; for
example
the conversation context is :class:`storage.memory.InMemoryContextStore` without ``REDIS_URL``
and :class:`storage.redis_context.RedisContextStore` with it.

Backend errors are translated here into :class:`bot.core.errors.DependencyError`, so the core never
sees a driver exception. Nothing connects at import time.
"""
