"""The scripts a running emulator knows, in registration order."""

from __future__ import annotations

import threading

from emulators.vertex.script import Script


class ScriptRegistry:
    """Thread-safe store of scripts by name, oldest registration first.

    The server answers requests on many threads while tests register scripts, so every
    access holds one lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, Script] = {}

    def put(self, script: Script) -> None:
        """Register a script, replacing one of the same name; it becomes the most recent."""
        with self._lock:
            # Re-inserting moves the name to the end, since dicts keep insertion order.
            self._scripts.pop(script.name, None)
            self._scripts[script.name] = script

    def delete(self, name: str) -> bool:
        """Forget a script.

        Args:
            name: Name of the script.

        Returns:
            True when a script of that name was registered.
        """
        with self._lock:
            return self._scripts.pop(name, None) is not None

    def snapshot(self) -> list[Script]:
        """The registered scripts, oldest registration first."""
        with self._lock:
            return list(self._scripts.values())
