"""Solar Lottery: a fair, skill-aware team rotation scheduler (the ``/lotto`` command).

Subpackages and modules, bottom up: the stored records and their pure rules
(``model``), the pure pickers (``fillers``), one request and one result per
operation (``api``), typed records over a unit of work (``store``), what lotto
needs from outside (``ports``), every operation (``service``), the outbox's
consumer (``delivery``), calendar files (``ical``), the command layer
(``commands``), local stand-ins for the chat system (``local``), the operators'
tools (``maintenance``) and the command-line program (``cli``, ``demo``). The
errors are in ``errors``; docs/design.md §8 has the layers.
"""

__all__ = ["PLUGIN_ID"]

# The plugin id of plugin.json; it namespaces every key in the store
# (tests check that the two agree).
PLUGIN_ID = "com.mattermost.solar-lottery"
