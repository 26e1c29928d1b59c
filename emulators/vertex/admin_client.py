"""Register scripts with a running Gemini emulator, for tests and examples.

Example::

    script = load_script(Path("examples/price-monitor/script.yaml"))
    register_script(settings.vertex_base_url, script)
"""

from __future__ import annotations

import httpx

from emulators.vertex.script import Script


def _raise_for_status(response: httpx.Response) -> None:
    # The emulator explains a refusal in the body; httpx's own message would drop it.
    if response.is_error:
        raise httpx.HTTPStatusError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text}",
            request=response.request,
            response=response,
        )


def register_script(base_url: str, script: Script, timeout_s: float = 5.0) -> None:
    """Register (or replace) a script; it becomes the most recent one.

    Args:
        base_url: The emulator's base URL, such as ``settings.vertex_base_url``.
        script: The script to register.
        timeout_s: HTTP timeout in seconds.

    Raises:
        httpx.HTTPStatusError: When the emulator refuses the script.
        httpx.TransportError: When the emulator cannot be reached.
    """
    url = f"{base_url.rstrip('/')}/emulator/scripts/{script.name}"
    _raise_for_status(httpx.put(url, json=script.to_json(), timeout=timeout_s))


def delete_script(base_url: str, name: str, timeout_s: float = 5.0) -> None:
    """Forget a script.

    Args:
        base_url: The emulator's base URL.
        name: Name of the script.
        timeout_s: HTTP timeout in seconds.

    Raises:
        httpx.HTTPStatusError: When no script has that name.
        httpx.TransportError: When the emulator cannot be reached.
    """
    url = f"{base_url.rstrip('/')}/emulator/scripts/{name}"
    _raise_for_status(httpx.delete(url, timeout=timeout_s))
