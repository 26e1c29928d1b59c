"""Process groups: stopping a stack component stops every process it started."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from emulators import processes


def test_stopping_a_group_stops_grandchildren_that_outlive_their_parent(tmp_path: Path) -> None:
    # Like gcloud's wrapper: a parent that starts a long-lived child and exits.
    script = "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"
    pgid = processes.start_process(
        [sys.executable, "-c", script], dict(os.environ), tmp_path / "child.log"
    )
    processes.wait_until(
        lambda: len(_members(pgid)) >= 2, 10, alive=lambda: True, what="the process tree"
    )

    processes.stop_group(pgid, grace_s=5)

    assert not processes.group_alive(pgid)
    assert _members(pgid) == []


def test_a_free_port_can_be_bound() -> None:
    port = processes.free_port()
    assert 1024 <= port <= 65535
    assert not processes.tcp_ready("127.0.0.1", port)


def _members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(entry.name))
    return members
