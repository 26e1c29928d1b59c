"""The README's main job (``make demo``) on the local stack: it must finish as designed."""

from __future__ import annotations

import os
import subprocess
import sys

from shared.settings import Settings


def test_the_demo_drives_both_examples_through_the_cli_to_their_designed_ends(
    stack: Settings,
) -> None:
    assert stack.api_url
    demo = subprocess.run(
        [sys.executable, "-m", "examples.demo"],
        env={**os.environ, "XDG_CONFIG_HOME": "/nonexistent"},  # no stored CLI login is used
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-4000:]
    out = demo.stdout
    assert "$ switchyard apply -f" in out
    assert "$ switchyard runs create competitor-price-monitor" in out
    assert ": delivered" in out and ": blocked" in out
    assert "webhook received, signature verified" in out
    assert "alert received (signed): eval_failed" in out
    assert out.rstrip().endswith("demo finished as designed")
