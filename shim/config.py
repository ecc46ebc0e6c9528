"""Configuration of ``lotto serve``: flags, environment variables, plugin.json defaults.

Every setting is a flag with an environment variable of the same meaning; a flag
wins over the variable, the variable over the default. The plugin settings
(``AdminUserIDs``, ``AdminLogLevel``, ``AdminLogVerbose``) default to the values
in ``plugin.json``, and the plugin id (the Redis key namespace) is its ``id``.
The manifest is the one given (``--plugin-json``), else the repository's (next to
the packages, as in a checkout or an editable install), else — a plain ``pip
install .`` ships no ``plugin.json`` — :data:`BUILTIN_DEFAULTS`, which a test
keeps equal to the repository's ``plugin.json``.
Anything missing or invalid raises :class:`shim.errors.ConfigError` with a
message that names the flag and the variable.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kvstore.backends import redact
from lotto import PLUGIN_ID
from shim.errors import ConfigError

__all__ = ["Config", "load", "parser", "LOG_LEVELS", "PLUGIN_JSON", "BUILTIN_DEFAULTS"]

PLUGIN_JSON = Path(__file__).resolve().parent.parent / "plugin.json"
# What plugin.json says (id and setting defaults), for installs that don't ship it.
BUILTIN_DEFAULTS: Mapping[str, object] = {
    "id": PLUGIN_ID,
    "AdminUserIDs": "",
    "AdminLogLevel": "none",
    "AdminLogVerbose": False,
}
LOG_LEVELS = ("none", "debug", "info", "warn", "error")
_STORE_SCHEMES = ("redis", "rediss", "unix", "sqlite", "memory")
_MIN_SECRET = 16

# (flag dest, environment variable, help text)
_SETTINGS: list[tuple[str, str, str]] = [
    ("listen", "LOTTO_LISTEN", "HOST:PORT to listen on (default 127.0.0.1:8065)"),
    (
        "store",
        "LOTTO_STORE",
        "store URL, e.g. redis://localhost:6379/0 or sqlite:///var/lib/lotto.db",
    ),
    (
        "mattermost_url",
        "LOTTO_MATTERMOST_URL",
        "Mattermost site URL, e.g. https://chat.example.com",
    ),
    ("bot_token", "LOTTO_BOT_TOKEN", "access token of the bot account"),
    ("slash_token", "LOTTO_SLASH_TOKEN", "token(s) of the /lotto slash command, comma-separated"),
    (
        "secret",
        "LOTTO_SECRET",
        f"shared secret for hooks and execute_command (>= {_MIN_SECRET} chars)",
    ),
    (
        "admin_user_ids",
        "LOTTO_ADMIN_USER_IDS",
        "comma-separated Mattermost user ids of plugin admins besides the system admins "
        "(default: plugin.json)",
    ),
    (
        "admin_log_level",
        "LOTTO_ADMIN_LOG_LEVEL",
        "DM log lines at this level or above to the plugin admins: "
        + "|".join(LOG_LEVELS)
        + " (default: plugin.json)",
    ),
    (
        "admin_log_verbose",
        "LOTTO_ADMIN_LOG_VERBOSE",
        "add context to log lines DMed to admins: true|false (default: plugin.json)",
    ),
    (
        "autopilot_interval",
        "LOTTO_AUTOPILOT_INTERVAL",
        "seconds between autopilot runs: 0 (off) or >= 1 (default 60)",
    ),
    ("cache_ttl", "LOTTO_CACHE_TTL", "seconds a Mattermost user profile stays cached (default 30)"),
    (
        "retry_budget",
        "LOTTO_RETRY_BUDGET",
        "seconds a command retries while others change its records: 0-4 (default 2)",
    ),
    (
        "outbox_poll",
        "LOTTO_OUTBOX_POLL",
        "seconds between looks at the outbox for messages committed elsewhere (default 2)",
    ),
    (
        "public_url",
        "LOTTO_PUBLIC_URL",
        "URL at which calendar apps reach this shim, e.g. https://lotto.example.com; "
        "turns on signed calendar feed URLs (needs --secret; default: off)",
    ),
    (
        "command_timeout",
        "LOTTO_COMMAND_TIMEOUT",
        "seconds within which a command answers when Redis does not: it then fails cleanly, "
        "or says its outcome is unknown (default 5)",
    ),
    (
        "health_timeout",
        "LOTTO_HEALTH_TIMEOUT",
        "seconds within which GET /healthz answers; 503 when Redis has not answered by then "
        "(default 1)",
    ),
]


@dataclass(frozen=True)
class Config:
    """The validated configuration of one shim process."""

    host: str
    port: int
    store: str
    mattermost_url: str
    bot_token: str
    slash_tokens: tuple[str, ...]
    secret: str
    plugin_id: str
    admin_user_ids: frozenset[str] = field(default_factory=frozenset)
    admin_log_level: str = "none"
    admin_log_verbose: bool = False
    autopilot_interval: float = 60.0
    cache_ttl: float = 30.0
    retry_budget: float = 2.0
    outbox_poll: float = 2.0
    debug_endpoints: bool = False
    max_body_bytes: int = 64 * 1024
    public_url: str = ""
    command_timeout: float = 5.0
    health_timeout: float = 1.0


def parser() -> argparse.ArgumentParser:
    """The ``lotto serve`` argument parser (every flag also has an environment variable)."""
    p = argparse.ArgumentParser(
        prog="lotto serve",
        description="Serve the /lotto slash command and plugin hooks for Mattermost.",
        epilog="Each flag except --debug-endpoints can also be given as the environment "
        "variable shown in brackets.",
    )
    for dest, env, help_text in _SETTINGS:
        p.add_argument(
            "--" + dest.replace("_", "-"), dest=dest, default=None, help=f"{help_text} [{env}]"
        )
    # Deliberately a bare flag with no environment variable: a leftover variable in a
    # shared env file must not turn on an endpoint that runs autopilot at any "now".
    p.add_argument(
        "--debug-endpoints",
        action="store_true",
        help="enable POST /debug/autopilot for tests (needs --secret; never in production)",
    )
    p.add_argument(
        "--plugin-json",
        default=None,
        help=f"plugin.json with the plugin id and setting defaults (default {PLUGIN_JSON} "
        "if it exists, else built-in copies of its values) [LOTTO_PLUGIN_JSON]",
    )
    return p


def load(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Parse flags and environment into a :class:`Config`; raise ConfigError when invalid.

    ``argparse`` itself exits with status 2 on unknown flags, like any CLI.
    """
    env = os.environ if environ is None else environ
    args = parser().parse_args(list(argv) if argv is not None else None)
    raw: dict[str, str | None] = {}
    for dest, var, _ in _SETTINGS:
        value = getattr(args, dest)
        raw[dest] = value if value is not None else env.get(var)
    missing = [
        f"--{d.replace('_', '-')} ({v})" for d, v, _ in _SETTINGS[1:4] if not (raw[d] or "").strip()
    ]
    if missing:
        raise ConfigError("missing " + ", ".join(missing) + "; see `lotto serve --help`")
    manifest = args.plugin_json or env.get("LOTTO_PLUGIN_JSON")
    if manifest:
        plugin = _plugin_defaults(Path(manifest))
    elif PLUGIN_JSON.is_file():
        plugin = _plugin_defaults(PLUGIN_JSON)
    else:
        plugin = dict(BUILTIN_DEFAULTS)
    host, port = _listen(raw["listen"] or "127.0.0.1:8065")
    slash_tokens = tuple(t.strip() for t in (raw["slash_token"] or "").split(",") if t.strip())
    secret = (raw["secret"] or "").strip()
    if not slash_tokens and not secret:
        raise ConfigError(
            "set --slash-token (LOTTO_SLASH_TOKEN) and/or --secret (LOTTO_SECRET): "
            "without them nobody can call the shim"
        )
    if secret and len(secret) < _MIN_SECRET:
        raise ConfigError(f"--secret (LOTTO_SECRET) must be at least {_MIN_SECRET} characters long")
    if args.debug_endpoints and not secret:
        raise ConfigError("--debug-endpoints needs --secret (LOTTO_SECRET)")
    level = (
        str(
            raw["admin_log_level"]
            if raw["admin_log_level"] is not None
            else plugin["AdminLogLevel"]
        )
        .strip()
        .lower()
    )
    if level == "warning":
        level = "warn"
    if level not in LOG_LEVELS:
        raise ConfigError(
            "--admin-log-level (LOTTO_ADMIN_LOG_LEVEL) must be one of "
            f"{', '.join(LOG_LEVELS)}; got {level!r}"
        )
    admins = raw["admin_user_ids"] if raw["admin_user_ids"] is not None else plugin["AdminUserIDs"]
    verbose = raw["admin_log_verbose"]
    return Config(
        host=host,
        port=port,
        store=_store(raw["store"]),
        mattermost_url=_mattermost_url(raw["mattermost_url"]),
        bot_token=_required(raw["bot_token"], "--bot-token", "LOTTO_BOT_TOKEN"),
        slash_tokens=slash_tokens,
        secret=secret,
        plugin_id=str(plugin["id"]),  # a str: _plugin_defaults checks it
        admin_user_ids=frozenset(i.strip() for i in str(admins).split(",") if i.strip()),
        admin_log_level=level,
        admin_log_verbose=_bool(
            str(verbose if verbose is not None else plugin["AdminLogVerbose"]),
            "--admin-log-verbose",
        ),
        autopilot_interval=_interval(raw["autopilot_interval"]),
        cache_ttl=_seconds(raw["cache_ttl"], 30.0, "--cache-ttl", "LOTTO_CACHE_TTL"),
        retry_budget=_retry_budget(raw["retry_budget"]),
        outbox_poll=_seconds(raw["outbox_poll"], 2.0, "--outbox-poll", "LOTTO_OUTBOX_POLL"),
        debug_endpoints=bool(args.debug_endpoints),
        public_url=_public_url(raw["public_url"], secret),
        command_timeout=_timeout(
            raw["command_timeout"], 5.0, "--command-timeout", "LOTTO_COMMAND_TIMEOUT"
        ),
        health_timeout=_timeout(
            raw["health_timeout"], 1.0, "--health-timeout", "LOTTO_HEALTH_TIMEOUT"
        ),
    )


def _plugin_defaults(path: Path) -> dict[str, object]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        hint = (
            "; point --plugin-json (LOTTO_PLUGIN_JSON) at the plugin.json of the repository"
            if path == PLUGIN_JSON
            else ""
        )
        raise ConfigError(f"cannot read plugin manifest {path}: {err}{hint}") from None
    plugin_id = manifest.get("id") if isinstance(manifest, dict) else None
    if not isinstance(plugin_id, str) or not plugin_id:
        raise ConfigError(f'plugin manifest {path} has no "id"')
    # A setting the manifest doesn't list keeps its built-in default.
    defaults: dict[str, object] = {**BUILTIN_DEFAULTS, "id": plugin_id}
    settings = (manifest.get("settings_schema") or {}).get("settings") or []
    for setting in settings:
        if isinstance(setting, dict) and setting.get("key") in defaults and "default" in setting:
            defaults[setting["key"]] = setting["default"]
    return defaults


def _required(value: str | None, flag: str, var: str) -> str:
    if value is None or not value.strip():
        raise ConfigError(f"missing {flag} (or the environment variable {var})")
    return value.strip()


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"--listen (LOTTO_LISTEN) must be HOST:PORT, e.g. 0.0.0.0:8065; got {value!r}"
        )
    return host.strip("[]"), int(port)


def _store(value: str | None) -> str:
    url = _required(value, "--store", "LOTTO_STORE")
    if urlsplit(url).scheme not in _STORE_SCHEMES:
        raise ConfigError(
            "--store (LOTTO_STORE) must be a redis://, rediss://, unix://, sqlite:// or memory:// "
            "URL; "
            f"got {redact(url)!r}"
        )
    return url


def _mattermost_url(value: str | None) -> str:
    url = _required(value, "--mattermost-url", "LOTTO_MATTERMOST_URL")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"--mattermost-url (LOTTO_MATTERMOST_URL) must be an http(s) URL; got {redact(url)!r}"
        )
    return url.rstrip("/")


def _public_url(value: str | None, secret: str) -> str:
    url = (value or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            "--public-url (LOTTO_PUBLIC_URL) must be an http(s) URL without query; "
            f"got {redact(url)!r}"
        )
    if not secret:
        # Feed URLs are signed with the secret; without one there is nothing to sign with.
        raise ConfigError("--public-url (LOTTO_PUBLIC_URL) needs --secret (LOTTO_SECRET)")
    return url.rstrip("/")


def _interval(value: str | None) -> float:
    seconds = _seconds(value, 60.0, "--autopilot-interval", "LOTTO_AUTOPILOT_INTERVAL")
    if 0 < seconds < 1:  # a sub-second timer would hammer Redis and Mattermost
        raise ConfigError(
            "--autopilot-interval (LOTTO_AUTOPILOT_INTERVAL) must be 0 (off) or >= 1 second; "
            f"got {value!r}"
        )
    return seconds


def _timeout(value: str | None, default: float, flag: str, var: str) -> float:
    seconds = _seconds(value, default, flag, var)
    if seconds <= 0:  # a bound of 0 would fail every command
        raise ConfigError(f"{flag} ({var}) must be a number of seconds > 0; got {value!r}")
    return seconds


def _bool(value: str, flag: str) -> bool:
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{flag} must be true or false; got {value!r}")


def _retry_budget(value: str | None) -> float:
    # A command must answer within 5 s; retrying longer than 4 s would break that.
    budget = _seconds(value, 2.0, "--retry-budget", "LOTTO_RETRY_BUDGET")
    if budget > 4:
        raise ConfigError(
            f"--retry-budget (LOTTO_RETRY_BUDGET) must be at most 4 seconds, so a command "
            f"still answers within 5 s; got {value!r}"
        )
    return budget


def _seconds(value: str | None, default: float, flag: str, var: str) -> float:
    if value is None or not value.strip():
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        raise ConfigError(f"{flag} ({var}) must be a number of seconds >= 0; got {value!r}")
    return seconds
