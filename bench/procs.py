"""Peak memory of a process group, sampled from /proc (Linux), without extra dependencies.

A local job is a detached runner in its own session (pgid = its pid) plus forked workers in the same
group, so sampling every process of the group catches all of them. Two figures:

- `peak_sum_mib`: the largest sum of VmRSS over the group at one sample (workers share pages with the
  runner after fork, so this over-counts shared memory: an upper bound);
- `peak_one_mib`: the largest VmHWM (the kernel's own high-water mark) of any single process.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


def _status_kib(pid: int, keys: tuple[str, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in keys:
                out[key] = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return out


def group_members(pgid: int) -> list[int]:
    """Pids whose process group is `pgid` (field 5 of /proc/<pid>/stat)."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return members


@dataclass
class GroupSampler:
    """Samples a process group in a background thread until stopped."""

    pgid: int
    interval: float = 0.1
    peak_sum_kib: int = 0
    peak_one_kib: int = 0
    peak_procs: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        total = 0
        pids = group_members(self.pgid)
        for pid in pids:
            st = _status_kib(pid, ("VmRSS", "VmHWM"))
            total += st.get("VmRSS", 0)
            self.peak_one_kib = max(self.peak_one_kib, st.get("VmHWM", 0))
        self.peak_sum_kib = max(self.peak_sum_kib, total)
        self.peak_procs = max(self.peak_procs, len(pids))
        self.samples += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(self.interval)

    def start(self) -> GroupSampler:
        self._thread = threading.Thread(target=self._loop, name=f"rss-{self.pgid}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def peak_sum_mib(self) -> float:
        return self.peak_sum_kib / 1024

    @property
    def peak_one_mib(self) -> float:
        return self.peak_one_kib / 1024
