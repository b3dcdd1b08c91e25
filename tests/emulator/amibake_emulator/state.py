"""Shared emulator state: configuration, delays, the global lock and registries.

Everything the emulator adds on top of moto lives in the single ``STATE`` object,
so that ``POST /_amibake/reset`` can wipe it in one place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from typing import Any

ACCOUNT_ID = "123456789012"

DELAY_KEYS = (
    "instance_pending",
    "instance_stopping",
    "instance_shutting_down",
    "instance_rebooting",
    "image_pending",
    "copy_pending",
    "iam_propagation",
    "ssm_register",
    "invocation_visible",
    "command_start",
)

PROFILES: dict[str, dict[str, float]] = {
    # Short delays: every transition is observable, tests stay fast.
    "test": {
        "instance_pending": 0.2,
        "instance_stopping": 0.2,
        "instance_shutting_down": 0.2,
        "instance_rebooting": 0.3,
        "image_pending": 0.3,
        "copy_pending": 0.3,
        "iam_propagation": 0.0,
        "ssm_register": 0.2,
        "invocation_visible": 0.05,
        "command_start": 0.05,
    },
    # AWS-like timings scaled down about 1/20.
    "realistic": {
        "instance_pending": 1.5,
        "instance_stopping": 2.0,
        "instance_shutting_down": 2.0,
        "instance_rebooting": 3.0,
        "image_pending": 4.0,
        "copy_pending": 6.0,
        "iam_propagation": 1.0,
        "ssm_register": 2.0,
        "invocation_visible": 0.2,
        "command_start": 0.1,
    },
}


class EmulatorState:
    def __init__(self) -> None:
        # One lock serialises every mutation of moto's backends and of our registries.
        self.lock = threading.RLock()
        self.profile = "test"
        self.delays: dict[str, float] = dict(PROFILES["test"])
        self.ssm_mode = "execute"
        self.data_dir = tempfile.mkdtemp(prefix="amibake-emulator-")
        self._owns_data_dir = True
        self.reset_runtime()

    # ------------------------------------------------------------------
    def set_data_dir(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir = os.path.abspath(path)
        self._owns_data_dir = False

    def cleanup(self) -> None:
        from . import ssm_agent

        ssm_agent.kill_all()
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def reset_runtime(self) -> None:
        """Forget everything except configuration (delays, ssm mode)."""
        # Pending state transitions: list of (due_time, key, callback)
        self.transitions: dict[str, tuple[float, Any]] = {}
        # instance id -> dict with region, profile, running_since, offline_until, ...
        self.instances: dict[str, dict[str, Any]] = {}
        # image id -> dict(region=..., files=path or None)
        self.images: dict[str, dict[str, Any]] = {}
        # instance profile name -> time it was created / got its role
        self.profile_changed: dict[str, float] = {}
        self.never_online_all = False
        self.never_online: set[str] = set()
        self.copy_fail_regions: set[str] = set()
        self.faults: list[Any] = []
        self.calls: list[dict[str, Any]] = []
        self.calls_lock = threading.Lock()
        # command id -> Command object (ssm_agent)
        self.commands: dict[str, Any] = {}

    def delay(self, key: str) -> float:
        return float(self.delays.get(key, 0.0))

    def now(self) -> float:
        return time.time()

    def instance_dir(self, instance_id: str) -> str:
        return os.path.join(self.data_dir, "instances", instance_id)

    def instance_root(self, instance_id: str) -> str:
        return os.path.join(self.instance_dir(instance_id), "root")

    def image_dir(self, image_id: str) -> str:
        return os.path.join(self.data_dir, "images", image_id)


STATE = EmulatorState()


def schedule(key: str, due: float, callback: Any) -> None:
    """Run ``callback()`` (under the lock) once ``time.time() >= due``; replaces any
    transition already scheduled under ``key``."""
    with STATE.lock:
        STATE.transitions[key] = (due, callback)


def cancel(key: str) -> None:
    with STATE.lock:
        STATE.transitions.pop(key, None)


def tick() -> None:
    """Apply every transition that is due. Called before each request and by a
    light background ticker, so no caller ever needs to sleep for a state."""
    now = time.time()
    with STATE.lock:
        due = [(d, k, cb) for k, (d, cb) in STATE.transitions.items() if d <= now]
        due.sort(key=lambda x: x[0])
        for _, key, cb in due:
            # A callback may reschedule under the same key; only drop ours.
            cur = STATE.transitions.get(key)
            if cur is not None and cur[1] is cb:
                del STATE.transitions[key]
            try:
                cb()
            except Exception:  # pragma: no cover - keep the ticker alive
                import traceback

                traceback.print_exc()
