"""The Solar Lottery service: every ``/lotto`` operation as one unit of work.

``Service(kv, directory)`` has one method per operation, each
``method(req, *, actor, now) -> Result`` (``actor``: the calling
:class:`lotto.api.Actor`) with the request/result structs of
:mod:`lotto.api`. Each method runs exactly one ``kv.run(...)`` unit of work
costing at most 3 Redis round trips (two read batches and the commit); the
cost is documented where each batch is spent. Methods never render Markdown
and never send messages: results carry :class:`lotto.api.Notice` values.

Each operation is registered once, by ``@operation(api.XRequest, access=LEVEL)`` on
its method (:mod:`lotto.service.registry`), which applies who may call it
(:mod:`lotto.service.access`) to every call; callers dispatch a request with
``registry.dispatch(service, req, actor=..., now=...)``.
"""

from lotto.service.core import Service

__all__ = ["Service"]
