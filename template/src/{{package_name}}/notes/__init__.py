"""Notes: the worked example of an agent tool that writes the service's own tables.

The agent's ``save_note`` tool (tool.py) stores a :class:`~.models.Note` for the calling
principal in its own short transaction; ``GET /notes`` (routes.py) lists the caller's
notes. Copy this package to write a tool of your own (docs/tools.md of the chassis).
"""
