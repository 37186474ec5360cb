"""The worker's share of the CPU in the HTTP bench, as deploy/systemd/haulmatch-worker.service gives it.

systemd shares the CPU between units' cgroups by CPUWeight before any process's niceness. The bench runs its
servers outside systemd, each in a session of its own; with autogroups on (the kernel's default) sessions share
the CPU by their groups' niceness, so the worker's session gets the niceness that weighs as the unit's CPUWeight.
"""

import re
from pathlib import Path

UNIT = Path(__file__).resolve().parents[1] / "deploy" / "systemd" / "haulmatch-worker.service"


def worker_nice() -> int:
    """The worker unit's CPU priority (Nice=), as systemd would start it."""
    unit = UNIT.read_text()
    found = re.search(r"^Nice=(-?\d+)$", unit, re.MULTILINE)
    return int(found.group(1)) if found else 0


# The kernel's CPU weight of each niceness, -20 to 19 (sched_prio_to_weight); nice 0 weighs 1024, as a cgroup's
# CPUWeight=100 does.
NICE_WEIGHTS = [88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904, 3906,
                3121, 2501, 1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45,
                36, 29, 23, 18, 15]  # fmt: skip


def worker_group_nice() -> int:
    """The worker unit's share of the CPU against the web's (CPUWeight= against the default 100), as the
    niceness of a session's autogroup that weighs the same.

    systemd shares the CPU between units' cgroups by CPUWeight. Here the servers run outside systemd, each in a
    session of its own, and with autogroups on (the kernel's default) sessions share the CPU by their groups'
    niceness, not their processes': the worker's own Nice= then orders nothing against gunicorn."""
    unit = UNIT.read_text()
    found = re.search(r"^CPUWeight=(\d+)$", unit, re.MULTILINE)
    weight = 1024 * int(found.group(1)) / 100 if found else 1024
    return min(range(-20, 20), key=lambda nice: abs(NICE_WEIGHTS[nice + 20] - weight))


def share_cpu_as_systemd(worker_pid: int) -> str:
    """Give the worker's session the unit's CPU share (see worker_group_nice); what the kernel says it is now."""
    autogroup = Path(f"/proc/{worker_pid}/autogroup")
    if not autogroup.exists():  # a kernel without autogroups: the processes' niceness already orders them
        return f"no autogroups, the worker at nice {worker_nice()}"
    autogroup.write_text(str(worker_group_nice()))
    return f"the worker's {autogroup.read_text().strip()}"
