"""Storage behind the core's ports: the outer layer that may import Redis and SQLAlchemy.

Every store comes as an embedded default and a shared backend with the same behaviour (one
contract test suite per port), chosen in the composition root (:mod:`bot.app`) from the
settings::

    port (bot.ports)        embedded default                  shared backend
    ContextStore            memory.InMemoryContextStore       redis_context.RedisContextStore
    dedupe                  dedupe.InMemoryDedupeStore        dedupe.RedisDedupeStore

Backend errors are translated here into :class:`bot.errors.DependencyError`, so the core never
sees a driver exception. Nothing connects at import time.
"""
