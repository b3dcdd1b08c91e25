"""State delays: instances pending/stopping/shutting-down, images pending, IAM
propagation and SSM registration timing.

moto flips states instantly; we patch its model methods so every transition
first enters AWS's intermediate state and is completed later by ``state.tick``
(run lazily before each request and by a light background ticker).
"""

from __future__ import annotations

import fnmatch
import json
import threading
import time
from typing import Any
from urllib.parse import unquote

from moto.ec2.models.instances import Instance, InstanceState
from moto.iam.models import IAMBackend

from .state import ACCOUNT_ID, STATE, schedule

# ---------------------------------------------------------------- instances

_orig_init = Instance.__init__
_orig_start = Instance.start
_orig_stop = Instance.stop
_orig_terminate = Instance.terminate
_orig_reboot = Instance.reboot


def _set(inst: Instance, name: str, code: int) -> None:
    inst._state.name = name
    inst._state.code = code


def _region_of(inst: Instance) -> str:
    return getattr(inst.ec2_backend, "region_name", "us-east-1")


def record(instance_id: str) -> dict[str, Any]:
    return STATE.instances.setdefault(
        instance_id,
        {
            "region": None,
            "image_id": None,
            "profile_name": None,
            "profile_arn": None,
            "running_since": None,
            "ever_online": False,
            "offline_until": 0.0,
            "commands": [],
            "launched_at": time.time(),
            "instance_id": instance_id,
        },
    )


def _became_running(inst: Instance) -> None:
    _set(inst, "running", 16)
    rec = record(inst.id)
    rec["running_since"] = time.time()


def _patched_init(self: Instance, *args: Any, **kwargs: Any) -> None:
    _orig_init(self, *args, **kwargs)
    with STATE.lock:
        rec = record(self.id)
        rec["region"] = _region_of(self)
        rec["image_id"] = getattr(self, "image_id", None)
        rec["launched_at"] = time.time()
        if STATE.never_online_all:
            STATE.never_online.add(self.id)
        _set(self, "pending", 0)
        inst = self
        schedule(f"instance:{self.id}", time.time() + STATE.delay("instance_pending"),
                 lambda: _became_running(inst))


def _patched_start(self: Instance) -> InstanceState:
    prev = _orig_start(self)
    with STATE.lock:
        if prev.name == "running":
            _set(self, "running", 16)
            return prev
        _set(self, "pending", 0)
        inst = self
        schedule(f"instance:{self.id}", time.time() + STATE.delay("instance_pending"),
                 lambda: _became_running(inst))
    return prev


def _went_offline(inst: Instance) -> None:
    rec = record(inst.id)
    refresh_registration(inst.id, inst)
    rec["running_since"] = None


def _patched_stop(self: Instance) -> InstanceState:
    prev = _orig_stop(self)
    with STATE.lock:
        if prev.name in ("stopped", "terminated"):
            _set(self, prev.name, prev.code)
            return prev
        _went_offline(self)
        _set(self, "stopping", 64)
        inst = self
        schedule(f"instance:{self.id}", time.time() + STATE.delay("instance_stopping"),
                 lambda: _set(inst, "stopped", 80))
    return prev


def _patched_terminate(self: Instance) -> InstanceState:
    prev = _orig_terminate(self)
    with STATE.lock:
        if prev.name == "terminated":
            return prev
        _went_offline(self)
        record(self.id)["terminated"] = True
        _set(self, "shutting-down", 32)
        inst = self
        schedule(f"instance:{self.id}", time.time() + STATE.delay("instance_shutting_down"),
                 lambda: _set(inst, "terminated", 48))
    return prev


def _patched_reboot(self: Instance) -> None:
    state = (self._state.name, self._state.code)
    _orig_reboot(self)
    _set(self, *state)
    with STATE.lock:
        rec = record(self.id)
        rec["offline_until"] = time.time() + STATE.delay("instance_rebooting")


# ---------------------------------------------------------------- IAM timing

_orig_create_ip = IAMBackend.create_instance_profile
_orig_add_role = IAMBackend.add_role_to_instance_profile


def _patched_create_ip(self: IAMBackend, name: str, *args: Any, **kwargs: Any) -> Any:
    res = _orig_create_ip(self, name, *args, **kwargs)
    with STATE.lock:
        STATE.profile_changed[name] = time.time()
    return res


def _patched_add_role(self: IAMBackend, profile_name: str, role_name: str) -> None:
    _orig_add_role(self, profile_name, role_name)
    with STATE.lock:
        STATE.profile_changed[profile_name] = time.time()


def check_profile_propagated(name: str | None, arn: str | None) -> None:
    """Raise AWS's error when the profile is too fresh for EC2 to see."""
    from moto.ec2.exceptions import EC2ClientError

    prop = STATE.delay("iam_propagation")
    if prop <= 0:
        return
    key = name or (arn.rsplit("/", 1)[-1] if arn else None)
    if not key:
        return
    changed = STATE.profile_changed.get(key)
    if changed is not None and time.time() - changed < prop:
        if name:
            raise EC2ClientError(
                "InvalidParameterValue",
                f"Value ({name}) for parameter iamInstanceProfile.name is invalid. "
                "Invalid IAM Instance Profile name",
            )
        raise EC2ClientError(
            "InvalidParameterValue",
            f"Value ({arn}) for parameter iamInstanceProfile.arn is invalid. "
            "Invalid IAM Instance Profile ARN",
        )


# ---------------------------------------------------------------- SSM registration


def _action_allows(action: Any, wanted: str) -> bool:
    actions = action if isinstance(action, list) else [action]
    return any(fnmatch.fnmatch(wanted.lower(), str(a).lower()) for a in actions)


def _doc_allows_ssm(doc: Any) -> bool:
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            try:
                doc = json.loads(unquote(doc))
            except ValueError:
                return False
    stmts = doc.get("Statement", []) if isinstance(doc, dict) else []
    if isinstance(stmts, dict):
        stmts = [stmts]
    allowed = False
    for s in stmts:
        if not isinstance(s, dict):
            continue
        if s.get("Effect") == "Deny" and _action_allows(s.get("Action", []), "ssm:UpdateInstanceInformation"):
            return False
        if s.get("Effect") == "Allow" and _action_allows(s.get("Action", []), "ssm:UpdateInstanceInformation"):
            allowed = True
    return allowed


def _policy_doc(policy: Any) -> Any:
    for v in getattr(policy, "versions", []):
        if getattr(v, "is_default", False):
            return v.document
    return getattr(policy, "document", None)


def profile_allows_ssm(rec: dict[str, Any]) -> bool:
    from moto.iam.models import iam_backends

    iam = iam_backends[ACCOUNT_ID]["aws"]
    profile = None
    try:
        if rec.get("profile_arn"):
            profile = iam.get_instance_profile_by_arn(rec["profile_arn"])
        elif rec.get("profile_name"):
            profile = iam.get_instance_profile(rec["profile_name"])
    except Exception:
        profile = None
    if profile is None and not rec.get("profile_name") and not rec.get("profile_arn"):
        # Instances moto launched itself (CloudFormation, launch templates, associations).
        from moto.ec2.models import ec2_backends

        try:
            backend = ec2_backends[ACCOUNT_ID][rec.get("region") or "us-east-1"]
            assoc = backend.iam_instance_profile_associations.get(rec.get("instance_id") or "")
            profile = getattr(assoc, "instance_profile", None)
        except Exception:
            profile = None
    if profile is None:
        return False
    for role in getattr(profile, "roles", []):
        for pol in role.managed_policies.values():
            if _doc_allows_ssm(_policy_doc(pol)):
                return True
        for doc in role.policies.values():
            if _doc_allows_ssm(doc):
                return True
    return False


def _ec2_instance(instance_id: str, region: str | None) -> Instance | None:
    from moto.ec2.models import ec2_backends

    if not region:
        return None
    try:
        return ec2_backends[ACCOUNT_ID][region].get_instance_by_id(instance_id)
    except Exception:
        return None


def refresh_registration(instance_id: str, inst: Instance | None = None) -> None:
    """Mark the instance as registered once its agent could have come online."""
    rec = STATE.instances.get(instance_id)
    if rec is None or rec.get("ever_online"):
        return
    if instance_id in STATE.never_online:
        return
    rs = rec.get("running_since")
    if rs is None or time.time() < rs + STATE.delay("ssm_register"):
        return
    if profile_allows_ssm(rec):
        rec["ever_online"] = True


def ping_status(instance_id: str) -> str | None:
    """``Online``, ``ConnectionLost`` or None (not a managed instance)."""
    rec = STATE.instances.get(instance_id)
    if rec is None:
        return None
    inst = _ec2_instance(instance_id, rec.get("region"))
    if inst is None:
        return None
    state = inst._state.name
    if state in ("terminated", "shutting-down"):
        return None
    refresh_registration(instance_id, inst)
    if not rec.get("ever_online"):
        return None
    if state != "running" or rec.get("running_since") is None:
        return "ConnectionLost"
    if time.time() < rec.get("offline_until", 0.0):
        return "ConnectionLost"
    if time.time() < rec["running_since"] + STATE.delay("ssm_register"):
        return "ConnectionLost"
    return "Online"


# ---------------------------------------------------------------- images


def image_pending(ami: Any, delay_key: str, fail_reason: dict[str, str] | None = None) -> None:
    ami.state = "pending"

    def done() -> None:
        if fail_reason:
            ami.state = "failed"
            ami.state_reason = fail_reason
        else:
            ami.state = "available"

    schedule(f"image:{ami.id}", time.time() + STATE.delay(delay_key), done)


# ---------------------------------------------------------------- ticker

_ticker_started = False


def start_ticker() -> None:
    global _ticker_started
    if _ticker_started:
        return
    _ticker_started = True
    from .state import tick

    def loop() -> None:
        while True:
            time.sleep(0.05)
            try:
                tick()
            except Exception:
                pass

    threading.Thread(target=loop, name="amibake-ticker", daemon=True).start()


def install() -> None:
    Instance.__init__ = _patched_init  # type: ignore[method-assign]
    Instance.start = _patched_start  # type: ignore[method-assign]
    Instance.stop = _patched_stop  # type: ignore[method-assign]
    Instance.terminate = _patched_terminate  # type: ignore[method-assign]
    Instance.reboot = _patched_reboot  # type: ignore[method-assign]
    IAMBackend.create_instance_profile = _patched_create_ip  # type: ignore[method-assign]
    IAMBackend.add_role_to_instance_profile = _patched_add_role  # type: ignore[method-assign]
