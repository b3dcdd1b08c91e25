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
        # What a query-protocol call sent (EC2, IAM, STS, CloudFormation,
        # Auto Scaling), flattened as on the wire ("Placement.Tenancy"),
        # so tests can check what AWS was asked and not only what it keeps.
        "params": {k: v for k, v in info.params.items() if k not in ("Action", "Version")},
    }
    with STATE.calls_lock:
        STATE.calls.append(entry)


def snapshot() -> list[dict]:
    with STATE.calls_lock:
        return list(STATE.calls)


def clear() -> None:
    with STATE.calls_lock:
        STATE.calls.clear()
