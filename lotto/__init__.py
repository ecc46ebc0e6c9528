"""Solar Lottery: a fair, skill-aware team rotation scheduler (the ``/lotto`` command).

Subpackages and modules: records (``rotation``, ``task``, ``user``, ``calendar``,
``index``), pure domain helpers (``skill``, ``needs``, ``timeutil``,
``fillers``), the service (``service``, ``api``), the outbox's consumer
(``delivery``), the command layer (``commands``), local stand-ins for the chat
system (``local``) and the command-line program (``cli``, ``demo``).
"""

__all__ = ["PLUGIN_ID"]

# The plugin id of plugin.json; it namespaces every key in the store
# (tests check that the two agree).
PLUGIN_ID = "com.mattermost.solar-lottery"
