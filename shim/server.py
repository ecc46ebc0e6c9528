"""``lotto serve``: load the configuration, connect to Mattermost, serve with uvicorn."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

_log = logging.getLogger("shim.server")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the shim until interrupted; 2 on bad configuration, 1 if Mattermost is unusable."""
    import uvicorn

    from shim.config import load
    from shim.errors import ConfigError, ShimError
    from shim.redaction import Redactor

    # Every line printed or logged goes through it: URL passwords, secret query
    # parameters and, once the configuration is read, every secret it holds are masked.
    redactor = Redactor()
    _setup_logging(redactor)

    def say(text: str) -> None:
        print(redactor.text(text), file=sys.stderr)

    try:
        config = load(argv)
    except ConfigError as err:
        say(f"lotto serve: configuration error: {err}")
        return 2
    redactor.add(config.secrets())

    from shim.app import create_app
    from shim.boot import bootstrap, open_store
    from shim.edges import protocol
    from shim.pool import HeavyPool

    try:
        store = open_store(config)
    except Exception as err:  # e.g. a store URL the kvstore package rejects
        say(f"lotto serve: cannot open the store {config.store!r}: {err}")
        return 2
    try:
        runtime = bootstrap(config, store=store, pool=HeavyPool)
    except ShimError as err:
        say(f"lotto serve: cannot use Mattermost at {config.mattermost_url}: {err}")
        store.close()
        return 1
    except BaseException:
        store.close()
        raise
    if not runtime.healthy():
        _log.warning(
            "the store %s does not answer yet; /healthz reports 503 until it does", config.store
        )
    # uvicorn re-raises the signal that stopped it once it has shut down; with the
    # default handler that kills the process before the store, the HTTP pool and
    # the admin-log queue are closed. A recording handler makes it a clean exit 0.
    stopped_by: list[int] = []
    _trap_signals(stopped_by)
    try:
        uvicorn.run(
            create_app(runtime),
            host=config.host,
            port=config.port,
            # Keep our logging set-up: uvicorn's own dictConfig would close the admin-DM handler.
            log_config=None,
            log_level="warning",
            access_log=False,
            proxy_headers=True,
            timeout_graceful_shutdown=10,
            # h11 with a header timeout and a connection limit (shim.edges); no websockets.
            http=protocol(config.max_connections, config.header_timeout),
            ws="none",
        )
    finally:
        runtime.close()
    _log.info("stopped%s", f" by signal {stopped_by[0]}" if stopped_by else "")
    return 0


def _trap_signals(record: list[int]) -> None:
    def handler(signum: int, frame: Any) -> None:
        record.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)


def _setup_logging(redactor: logging.Filter) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(redactor)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # One line per Mattermost request is noise at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
