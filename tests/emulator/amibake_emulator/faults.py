"""Fault injection: throttling, named errors, slow calls (per service/action/region)."""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from .protocol import RequestInfo, render_error, throttle_error
from .state import STATE

SERVICES = {"ec2", "ssm", "iam", "s3", "sts", "cloudformation", "autoscaling"}
KINDS = {"throttle", "error", "slow"}


@dataclass
class Fault:
    id: str
    service: str
    action: str
    kind: str
    region: str | None = None
    count: int | None = None
    rate: float | None = None
    nth: int | None = None
    code: str | None = None
    message: str | None = None
    status: int | None = None
    delay_seconds: float = 0.0
    seen: int = 0  # matching calls seen so far
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to_json(self) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in (
                "id", "service", "action", "kind", "region", "count", "rate", "nth",
                "code", "message", "status", "delay_seconds", "seen", "fired",
            )
        }

    def matches(self, info: RequestInfo) -> bool:
        if self.service != info.service:
            return False
        if self.action != "*" and self.action.lower() != info.action.lower():
            return False
        if self.region and self.region != info.region:
            return False
        return True

    def should_fire(self) -> bool:
        """Called once per matching call."""
        with self.lock:
            self.seen += 1
            if self.nth is not None:
                fire = self.seen == self.nth
            elif self.count is not None:
                fire = self.seen <= self.count
                if fire and self.rate is not None:
                    fire = self.rng.random() < self.rate
            elif self.rate is not None:
                fire = self.rng.random() < self.rate
            else:
                fire = True
            if fire:
                self.fired += 1
            return fire


def add_fault(spec: dict[str, Any]) -> Fault:
    service = str(spec.get("service", "")).lower()
    if service not in SERVICES:
        raise ValueError(f"service must be one of {sorted(SERVICES)}")
    kind = spec.get("kind", "error")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}")
    if not spec.get("action"):
        raise ValueError("action is required (use \"*\" for every action)")
    if kind == "error" and not spec.get("code"):
        raise ValueError("kind error needs a code")
    f = Fault(
        id=str(uuid.uuid4())[:8],
        service=service,
        action=spec["action"],
        kind=kind,
        region=spec.get("region"),
        count=int(spec["count"]) if spec.get("count") is not None else None,
        rate=float(spec["rate"]) if spec.get("rate") is not None else None,
        nth=int(spec["nth"]) if spec.get("nth") is not None else None,
        code=spec.get("code"),
        message=spec.get("message"),
        status=int(spec["status"]) if spec.get("status") is not None else None,
        delay_seconds=float(spec.get("delay_seconds", 2.0 if kind == "slow" else 0.0)),
    )
    f.rng.seed(spec.get("seed", 0))
    with STATE.lock:
        STATE.faults.append(f)
    return f


def clear_faults() -> None:
    with STATE.lock:
        STATE.faults.clear()


def check(info: RequestInfo) -> tuple[float, tuple[int, list[tuple[str, str]], bytes] | None]:
    """Return (seconds to sleep first, error response or None) for this call."""
    delay = 0.0
    with STATE.lock:
        faults = [f for f in STATE.faults if f.matches(info)]
    for f in faults:
        if not f.should_fire():
            continue
        if f.kind == "slow":
            delay += f.delay_seconds
        elif f.kind == "throttle":
            return delay, throttle_error(info.service)
        else:
            code = f.code or "InternalError"
            msg = f.message or f"Injected fault {code}"
            return delay, render_error(info.service, code, msg, f.status or 400)
    return delay, None
