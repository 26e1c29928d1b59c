"""Smoke test of a deployed API: is it up, and does it refuse callers without a key?

Checks, against ``SWITCHYARD_API_URL`` (the ``api_url`` Terraform output on Google Cloud, the
local stack's API locally):

1. ``GET /healthz`` answers 200 ``{"status": "ok"}`` (retried for up to ``--wait`` seconds, as a
   new revision may still be starting);
2. ``GET /v1/agents`` without a key answers 401 as ``application/problem+json``;
3. with ``SWITCHYARD_SMOKE_API_KEY`` set, ``GET /v1/agents`` with that key answers 200, which
   also proves Firestore, the pepper in Secret Manager and the IAM grants of the api work.

Run: ``SWITCHYARD_API_URL=https://... python -m deploy.smoke``. Exits 0 when every check passed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import httpx

TIMEOUT_S = 10.0


class SmokeFailure(Exception):
    """A check failed; the message says which and what came back."""


def _health(client: httpx.Client, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            response = client.get("/healthz")
            if response.status_code == 200 and response.json() == {"status": "ok"}:
                return
            problem = f"answered {response.status_code}: {response.text[:200]}"
        except (httpx.HTTPError, ValueError) as error:
            problem = f"failed: {error!r}"
        if time.monotonic() >= deadline:
            raise SmokeFailure(f"GET /healthz {problem}")
        time.sleep(2)


def run_checks(base_url: str, api_key: str | None = None, wait_s: float = 60.0) -> list[str]:
    """Run the checks of the module docstring against ``base_url``.

    Returns:
        One line per passed check.

    Raises:
        SmokeFailure: The first check that failed.
    """
    passed = []
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=TIMEOUT_S) as client:
        _health(client, wait_s)
        passed.append("GET /healthz: 200 ok")
        anonymous = client.get("/v1/agents")
        content_type = anonymous.headers.get("content-type", "")
        if anonymous.status_code != 401 or "application/problem+json" not in content_type:
            raise SmokeFailure(
                f"GET /v1/agents without a key answered {anonymous.status_code} ({content_type})"
            )
        passed.append("GET /v1/agents without a key: 401 problem+json")
        if api_key:
            listed = client.get("/v1/agents", headers={"Authorization": f"Bearer {api_key}"})
            if listed.status_code != 200:
                raise SmokeFailure(
                    f"GET /v1/agents with the key answered {listed.status_code}: "
                    f"{listed.text[:300]}"
                )
            passed.append("GET /v1/agents with the key: 200")
    return passed


def main(argv: list[str] | None = None) -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m deploy.smoke", description=__doc__)
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for /healthz")
    args = parser.parse_args(argv)
    # A deploy tool outside the application: it reads its two inputs directly.
    base_url = os.environ.get("SWITCHYARD_API_URL")
    if not base_url:
        print("error: set SWITCHYARD_API_URL", file=sys.stderr)
        return 2
    try:
        for line in run_checks(base_url, os.environ.get("SWITCHYARD_SMOKE_API_KEY"), args.wait):
            print(f"ok  {line}")
    except SmokeFailure as failure:
        print(f"FAIL {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
