"""What each start-up path imports (issue 12: start-up time; see bench/RESULTS_STARTUP.md).

The parser uses shipped weights and numpy, never scikit-learn; ``smartcloudops parse`` loads
neither the server nor the stores; ``chat -c help`` on the embedded defaults opens no database
and draws no chart, so it loads neither SQLAlchemy/Alembic nor matplotlib. Each case runs in a
fresh interpreter and lists the top-level packages it ended up with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Never on any start-up path below: training, data frames, SQL, Redis, platform SDKs.
HEAVY = {
    "sklearn", "scipy", "threadpoolctl", "matplotlib", "pandas", "sqlalchemy", "alembic",
    "aiosqlite", "psycopg", "redis", "slack_sdk", "slack_bolt", "botbuilder", "botframework",
    "discord", "kubernetes",
}  # fmt: skip

#: Built at the first question that needs them, never for ``chat -c help`` or a plain question
#: on the defaults: pydantic (the config file's schema, the remediation policy, the alert
#: payload), aiohttp (the Alertmanager client), the anomaly and forecast engines and every
#: feature's handlers but the one asked.
DEFERRED = {
    "pydantic", "aiohttp", "ml.anomaly", "ml.forecast", "bot.app.config_file",
    "bot.features.remediation.policy", "bot.features.remediation.service",
    "bot.features.remediation.handlers", "bot.features.alerts.payload",
    "bot.features.alerts.handlers", "bot.features.anomaly.handler",
    "bot.features.forecast.handler", "bot.features.health.handler", "adapters.executors",
}  # fmt: skip

_PROBE = """
import json, sys
{code}
print(json.dumps(sorted(sys.modules)))
"""


def imported_by(code: str) -> set[str]:
    """The modules loaded after running ``code`` in a fresh interpreter on the defaults."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
    env.pop("SMARTCLOUDOPS_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(code=code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    modules: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return set(modules)


def packages(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_build_parser_uses_numpy_not_scikit_learn() -> None:
    """Building and using the bot's parser imports no scikit-learn, SciPy, SQL, Redis or SDK."""
    modules = imported_by(
        "from bot.app.parsing import build_parser\nbuild_parser().parse('cpu of web-1')"
    )
    assert "ml.intent_classifier" in modules
    assert packages(modules) & HEAVY == set()


def test_parse_command_loads_no_server_or_stores() -> None:
    """``smartcloudops parse`` loads neither the composition root, the server, the adapters,
    the settings (pydantic) nor aiohttp."""
    modules = imported_by("from bot.app.cli import main\nmain(['parse', 'cpu of web-1'])")
    assert "bot.app.parsing" in modules
    unwanted = {"bot.app.services", "bot.app.server", "bot.app.config", "storage.sql", "adapters"}
    assert modules & unwanted == set()
    assert packages(modules) & (HEAVY | {"aiohttp", "pydantic", "yaml"}) == set()


def test_chat_help_opens_no_database_and_draws_nothing() -> None:
    """``chat -c help`` on the defaults: the throw-away stores stay closed, no chart library,
    no scheduler (no jobs configured), no YAML (no config file) and no web server (nothing is
    served; aiohttp's client is enough)."""
    modules = imported_by("from bot.app.cli import main\nmain(['chat', '-c', 'help'])")
    assert "bot.app.services" in modules
    assert "bot.features.scheduler.build" not in modules
    assert {"bot.app.server", "aiohttp.web", "adapters.alertmanager.webhook"} & modules == set()
    assert packages(modules) & (HEAVY | {"yaml", "croniter"}) == set()


def test_chat_help_builds_no_feature_and_loads_no_pydantic() -> None:
    """``chat -c help`` answers from the help each feature declares: no feature's handlers
    are built, and neither pydantic, aiohttp nor the anomaly/forecast engines are loaded."""
    modules = imported_by("from bot.app.cli import main\nmain(['chat', '-c', 'help'])")
    assert "bot.features.help.handlers" in modules
    assert modules & (DEFERRED | {"bot.features.metrics.specs"}) == set()


def test_chat_plain_question_builds_only_its_feature() -> None:
    """A plain question (``is web-1 up?``) builds the lookups it needs and nothing else: no
    policy to read (there is none), no engine, no chart."""
    modules = imported_by("from bot.app.cli import main\nmain(['chat', '-c', 'is web-1 up?'])")
    assert "bot.features.metrics.specs" in modules
    assert modules & DEFERRED == set()
    assert packages(modules) & HEAVY == set()
