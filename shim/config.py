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

Each secret (the bot token, the slash tokens, the shared secret) can instead be
read from a file (``--bot-token-file`` / ``LOTTO_BOT_TOKEN_FILE`` …), so it
needs to be neither in ``/proc/<pid>/cmdline`` nor in the environment; giving
both forms at the same level (two flags, or two variables) is an error, and a
flag of either form wins over a variable of either form. Slash tokens may be
bound to the team they were created in (``team_id:token``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from kvstore.backends import redact
from lotto import PLUGIN_ID
from shim.errors import ConfigError

__all__ = [
    "Config",
    "SlashToken",
    "load",
    "parser",
    "LOG_LEVELS",
    "PLUGIN_JSON",
    "BUILTIN_DEFAULTS",
    "MIN_SLASH_TOKEN",
    "FD_RESERVE",
    "DEFAULT_WORKERS",
]

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
#: Mattermost makes every slash command token 26 characters long; a shorter one is a typo
#: or a guessable value.
MIN_SLASH_TOKEN = 26
_TEAM_ID = re.compile(r"[a-z0-9]{26}")
#: File descriptors kept for everything but client connections (Redis and Mattermost
#: pools, logs, the event loop) when the connection limit is derived from RLIMIT_NOFILE.
FD_RESERVE = 128
_MAX_CONNECTIONS = 4096  # the derived default never goes above this
#: Worker processes for heavy commands by default: a core is left for the shim itself.
DEFAULT_WORKERS = max(1, min(4, (os.cpu_count() or 2) - 1))
# The settings that are secrets: each also has a "<dest>_file" setting (read from a file).
_SECRETS = ("bot_token", "slash_token", "secret")

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
    ("bot_token_file", "LOTTO_BOT_TOKEN_FILE", "file holding the bot's access token"),
    (
        "slash_token",
        "LOTTO_SLASH_TOKEN",
        "token(s) of the /lotto slash command, comma-separated, each TOKEN or TEAM_ID:TOKEN "
        "(bound to that team)",
    ),
    (
        "slash_token_file",
        "LOTTO_SLASH_TOKEN_FILE",
        "file holding the slash command token(s), as --slash-token",
    ),
    (
        "secret",
        "LOTTO_SECRET",
        f"shared secret for hooks and execute_command (>= {_MIN_SECRET} chars)",
    ),
    ("secret_file", "LOTTO_SECRET_FILE", "file holding the shared secret"),
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
        "cache_size",
        "LOTTO_CACHE_SIZE",
        "user profiles kept in the cache at most, least recently used dropped first "
        "(default 10000)",
    ),
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
    (
        "max_connections",
        "LOTTO_MAX_CONNECTIONS",
        "client connections open at most; at the limit the longest-idle one is closed for a "
        f"new one (default: the open-files limit less {FD_RESERVE}, at most {_MAX_CONNECTIONS})",
    ),
    (
        "header_timeout",
        "LOTTO_HEADER_TIMEOUT",
        "seconds a client has to send a request's headers before its connection is closed "
        "(default 10)",
    ),
    (
        "body_timeout",
        "LOTTO_BODY_TIMEOUT",
        "seconds a client has to send a request's body once its headers arrived; then 408 "
        "(default 10)",
    ),
    (
        "autopilot_lease",
        "LOTTO_AUTOPILOT_LEASE",
        "seconds of the autopilot run lock's lease, renewed while a run goes on: a replica "
        "that dies mid-run delays the next run by at most this, 1-300 (default 30)",
    ),
    (
        "workers",
        "LOTTO_WORKERS",
        "processes running the heavy commands (forecasts, stats, pages, autopilot runs, shows "
        "and calendars of big rotations), 1-32 (default: the processor cores less one, 1 to 4)",
    ),
    (
        "heavy_timeout",
        "LOTTO_HEAVY_TIMEOUT",
        "seconds a heavy command may run, counted from when a worker process takes it; then "
        "it is stopped and says so (default 25)",
    ),
    ("threads", "LOTTO_THREADS", "threads running the other commands, 1-64 (default 8)"),
]


class SlashToken(NamedTuple):
    """A slash command token, and the team it is bound to (empty: any team)."""

    token: str
    team_id: str = ""


@dataclass(frozen=True)
class Config:
    """The validated configuration of one shim process."""

    host: str
    port: int
    store: str
    mattermost_url: str
    bot_token: str
    slash_tokens: tuple[SlashToken, ...]
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
    cache_size: int = 10_000
    max_connections: int = 1024 - FD_RESERVE
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    autopilot_lease: float = 30.0
    workers: int = 1
    heavy_timeout: float = 25.0
    threads: int = 8

    def secrets(self) -> tuple[str, ...]:
        """Every secret value of this configuration, for masking in logs (longest first)."""
        values = [self.bot_token, self.secret, *(t.token for t in self.slash_tokens)]
        for url in (self.store, self.mattermost_url):
            userinfo, at, _ = urlsplit(url).netloc.rpartition("@")
            if at:  # user:password@, or a bare token@
                values.append(userinfo.partition(":")[2] if ":" in userinfo else userinfo)
        return tuple(sorted({v for v in values if len(v) >= 4}, key=len, reverse=True))


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
    for name in _SECRETS:
        raw[name] = _secret_value(name, args, env)
    required = ("store", "mattermost_url", "bot_token")
    missing = [_names(d) for d in required if not (raw[d] or "").strip()]
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
    slash_tokens = _slash_tokens(raw["slash_token"] or "")
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
        bot_token=(raw["bot_token"] or "").strip(),
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
        cache_size=_count(raw["cache_size"], 10_000, "cache_size"),
        max_connections=_max_connections(raw["max_connections"]),
        header_timeout=_timeout(
            raw["header_timeout"], 10.0, "--header-timeout", "LOTTO_HEADER_TIMEOUT"
        ),
        body_timeout=_timeout(raw["body_timeout"], 10.0, "--body-timeout", "LOTTO_BODY_TIMEOUT"),
        autopilot_lease=_lease(raw["autopilot_lease"]),
        workers=_bounded_count(raw["workers"], DEFAULT_WORKERS, "workers", 32),
        heavy_timeout=_timeout(
            raw["heavy_timeout"], 25.0, "--heavy-timeout", "LOTTO_HEAVY_TIMEOUT"
        ),
        threads=_bounded_count(raw["threads"], 8, "threads", 64),
    )


def _names(dest: str) -> str:
    """``--flag (VARIABLE)`` of a setting, for messages."""
    var = next(v for d, v, _ in _SETTINGS if d == dest)
    return f"--{dest.replace('_', '-')} ({var})"


def _secret_value(name: str, args: argparse.Namespace, env: Mapping[str, str]) -> str | None:
    """A secret given as itself or as a file (``<name>_file``): flags first, then variables."""
    var = next(v for d, v, _ in _SETTINGS if d == name)
    flag = "--" + name.replace("_", "-")
    levels = (
        (getattr(args, name), getattr(args, name + "_file"), flag, flag + "-file"),
        (env.get(var), env.get(var + "_FILE"), var, var + "_FILE"),
    )
    for value, path, value_name, file_name in levels:
        if value is not None and path is not None:
            raise ConfigError(f"give {value_name} or {file_name}, not both")
        if value is not None:
            return value
        if path is not None:
            return _read_secret(path, file_name)
    return None


def _read_secret(path: str, name: str) -> str:
    """The contents of a secret file, without the surrounding whitespace (a final newline)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else "not UTF-8 text"
        raise ConfigError(f"{name}: cannot read {path!r} ({reason})") from None
    if not text.strip():
        raise ConfigError(f"{name}: {path!r} is empty")
    return text.strip()


def _slash_tokens(value: str) -> tuple[SlashToken, ...]:
    """``TOKEN`` or ``TEAM_ID:TOKEN`` entries, comma-separated (raises ConfigError)."""
    tokens: list[SlashToken] = []
    for n, entry in enumerate((e.strip() for e in value.split(",")), 1):
        if not entry:
            continue
        team, colon, token = entry.rpartition(":")
        team, token = team.strip(), token.strip()
        if colon and not _TEAM_ID.fullmatch(team):
            raise ConfigError(
                f"--slash-token (LOTTO_SLASH_TOKEN): entry {n} must be TOKEN or TEAM_ID:TOKEN, "
                "where TEAM_ID is a Mattermost team id (26 lower-case letters and digits)"
            )
        if len(token) < MIN_SLASH_TOKEN:
            # The token itself is never echoed: only its position and length.
            raise ConfigError(
                f"--slash-token (LOTTO_SLASH_TOKEN): token {n} has {len(token)} characters; "
                f"Mattermost's slash command tokens have {MIN_SLASH_TOKEN}. Copy the whole "
                "token from Integrations > Slash Commands"
            )
        tokens.append(SlashToken(token, team))
    return tuple(tokens)


def _count(value: str | None, default: int, dest: str) -> int:
    if value is None or not value.strip():
        return default
    text = value.strip()
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"{_names(dest)} must be a whole number >= 1; got {value!r}")
    return int(text)


def _bounded_count(value: str | None, default: int, dest: str, most: int) -> int:
    count = _count(value, default, dest)
    if count > most:
        raise ConfigError(f"{_names(dest)} must be 1 to {most}; got {value!r}")
    return count


def _max_connections(value: str | None) -> int:
    """The connection limit; it must leave FD_RESERVE descriptors under RLIMIT_NOFILE."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    room = _MAX_CONNECTIONS if soft == resource.RLIM_INFINITY else max(1, int(soft) - FD_RESERVE)
    if value is None or not value.strip():
        return min(room, _MAX_CONNECTIONS)
    limit = _count(value, 0, "max_connections")
    if limit > room:
        raise ConfigError(
            f"--max-connections (LOTTO_MAX_CONNECTIONS) {limit} needs more open files than "
            f"this process may have ({soft}, less {FD_RESERVE} for everything else): raise the "
            "limit (LimitNOFILE= in the systemd unit, ulimit -n) or lower the connections"
        )
    return limit


def _lease(value: str | None) -> float:
    seconds = _seconds(value, 30.0, "--autopilot-lease", "LOTTO_AUTOPILOT_LEASE")
    if not 1 <= seconds <= 300:
        raise ConfigError(
            f"--autopilot-lease (LOTTO_AUTOPILOT_LEASE) must be 1 to 300 seconds; got {value!r}"
        )
    return seconds


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
