"""The call log: one entry per AWS call (control-API calls are not logged)."""

from __future__ import annotations

import time

from .protocol import RequestInfo
from .state import STATE


def record(info: RequestInfo, status: int, started: float) -> None:
    entry = {
        "service": info.service,
        "region": info.region,
        "action": info.action,
        "access_key": info.access_key,
        "time": started,
        "status": status,
        "duration": round(time.time() - started, 6),
    }
    with STATE.calls_lock:
        STATE.calls.append(entry)


def snapshot() -> list[dict]:
    with STATE.calls_lock:
        return list(STATE.calls)


def clear() -> None:
    with STATE.calls_lock:
        STATE.calls.clear()
