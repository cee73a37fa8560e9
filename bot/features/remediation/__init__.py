"""Guarded remediation: policy, roles, two-person approval, dry run, exactly-once execution
and an audit log. The core only; storage and executors live in ``storage.sql`` and
``adapters.executors`` behind :mod:`bot.features.remediation.ports`."""
