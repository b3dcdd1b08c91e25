"""The control API under ``/_amibake/`` (JSON in, JSON out)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from typing import Any, Callable

from . import calls, faults, lifecycle, sandbox, ssm_agent
from .ec2_extras import iso_ms, parse_time
from .state import ACCOUNT_ID, DELAY_KEYS, PROFILES, STATE

Response = tuple[int, Any]


class BadRequest(Exception):
    pass


def _ec2(region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[ACCOUNT_ID][region]


def config_json() -> dict[str, Any]:
    return {"profile": STATE.profile, "delays": dict(STATE.delays), "ssm_mode": STATE.ssm_mode,
            "data_dir": STATE.data_dir, "sandbox": "bwrap" if sandbox.bwrap_works() else "none"}


def apply_config(body: dict[str, Any]) -> None:
    with STATE.lock:
        if "profile" in body:
            if body["profile"] not in PROFILES:
                raise BadRequest(f"profile must be one of {sorted(PROFILES)}")
            STATE.profile = body["profile"]
            STATE.delays = dict(PROFILES[body["profile"]])
        for k, v in (body.get("delays") or {}).items():
            if k not in DELAY_KEYS:
                raise BadRequest(f"unknown delay {k!r}; known: {', '.join(DELAY_KEYS)}")
            if float(v) < 0:
                raise BadRequest(f"delay {k} must be >= 0")
            STATE.delays[k] = float(v)
        if "ssm_mode" in body:
            if body["ssm_mode"] not in ("execute", "stub", "record"):
                raise BadRequest("ssm_mode must be execute, stub or record")
            STATE.ssm_mode = body["ssm_mode"]


def reset() -> None:
    from moto.moto_api._internal.models import moto_api_backend

    ssm_agent.kill_all()
    with STATE.lock:
        moto_api_backend.reset()
        STATE.reset_runtime()
        for sub in ("instances", "images"):
            shutil.rmtree(os.path.join(STATE.data_dir, sub), ignore_errors=True)


def set_image_times(image_id: str, body: dict[str, Any]) -> dict[str, Any]:
    region = body.get("region") or STATE.images.get(image_id, {}).get("region") or "us-east-1"
    with STATE.lock:
        ami = _ec2(region).amis.get(image_id)
        if ami is None:
            raise BadRequest(f"image {image_id} not found in {region}")
        if "creation_date" in body:
            ami.creation_date = parse_time(body["creation_date"])
        if "last_launched_time" in body:
            v = body["last_launched_time"]
            ami.last_launched_time = iso_ms(parse_time(v)) if v else None
        if "deprecation_time" in body:
            v = body["deprecation_time"]
            ami.deprecation_time = iso_ms(parse_time(v)) if v else None
        return {"image_id": image_id, "region": region}


def seed_images(body: dict[str, Any]) -> dict[str, Any]:
    from moto.ec2.models.amis import Ami
    from moto.ec2.utils import random_ami_id

    region = body.get("region", "us-east-1")
    count = int(body.get("count", 1))
    prefix = body.get("name_prefix", "seed")
    tags = body.get("tags") or {}
    start = parse_time(body.get("creation_date_start") or "2025-01-01T00:00:00Z")
    interval = float(body.get("interval_seconds", 3600))
    with_snapshot = body.get("snapshot", True)
    state = body.get("state", "available")
    ids = []
    with STATE.lock:
        backend = _ec2(region)
        shared = None
        for n in range(count):
            ami_id = random_ami_id()
            if not with_snapshot and shared is not None:
                # Skip moto's per-image volume + snapshot; share one placeholder.
                ami = Ami.__new__(Ami)
                ami.__dict__.update(shared.__dict__)
                ami.id = ami_id
                ami._tags = {}
                if hasattr(shared, "tags"):
                    pass
                ami.launch_permissions = []
            else:
                ami = Ami(backend, ami_id, name=None, description="", owner_id=ACCOUNT_ID,
                          architecture="x86_64", virtualization_type="hvm", hypervisor="xen",
                          root_device_type="ebs", root_device_name="/dev/xvda", region_name=region,
                          snapshot_description=f"Created by seed for {ami_id}")
                if not with_snapshot:
                    shared = ami
            ami.name = f"{prefix}-{n:05d}"
            ami.state = state
            ami.creation_date = start + dt.timedelta(seconds=interval * n)
            backend.amis[ami_id] = ami
            for k, v in tags.items():
                backend.tags.setdefault(ami_id, {})[k] = v
            ids.append(ami_id)
    return {"image_ids": ids}


def instance_info(instance_id: str) -> dict[str, Any]:
    with STATE.lock:
        rec = STATE.instances.get(instance_id)
        if rec is None:
            raise KeyError(instance_id)
        region = rec.get("region")
        inst = _ec2(region).get_instance_by_id(instance_id) if region else None
        root = sandbox.ensure_root(instance_id)
        return {
            "instance_id": instance_id,
            "region": region,
            "root": root,
            "state": inst._state.name if inst else None,
            "ping_status": lifecycle.ping_status(instance_id),
            "image_id": rec.get("image_id"),
            "commands": rec.get("commands", []),
            "stubbed": sandbox.stubbed_calls(instance_id),
            "reboots": rec.get("reboots", 0),
        }


def handle(method: str, path: str, body: dict[str, Any]) -> Response:
    parts = [p for p in path.split("/") if p][1:]  # drop "_amibake"
    route = "/".join(parts)
    try:
        if route == "health":
            return 200, {"ok": True}
        if route == "reset" and method == "POST":
            reset()
            return 200, {"ok": True}
        if route == "config":
            if method == "POST":
                apply_config(body)
            return 200, config_json()
        if route == "faults":
            if method == "POST":
                return 200, {"id": faults.add_fault(body).id}
            if method == "DELETE":
                with STATE.lock:
                    faults.clear_faults()
                    STATE.never_online.clear()
                    STATE.never_online_all = False
                    STATE.copy_fail_regions.clear()
                return 200, {"ok": True}
            with STATE.lock:
                return 200, {"faults": [f.to_json() for f in STATE.faults],
                             "ssm_never_online": sorted(STATE.never_online),
                             "ssm_never_online_all": STATE.never_online_all,
                             "copy_image_fails": sorted(STATE.copy_fail_regions)}
        if route == "faults/ssm-never-online" and method == "POST":
            with STATE.lock:
                iid = body.get("instance_id")
                if iid:
                    STATE.never_online.add(iid)
                else:
                    STATE.never_online_all = True
            return 200, {"ok": True}
        if route == "faults/copy-image-fails" and method == "POST":
            if not body.get("region"):
                raise BadRequest("region is required")
            with STATE.lock:
                STATE.copy_fail_regions.add(body["region"])
            return 200, {"ok": True}
        if route == "calls":
            if method == "DELETE":
                calls.clear()
                return 200, {"ok": True}
            return 200, {"calls": calls.snapshot()}
        if len(parts) == 2 and parts[0] == "images" and method == "POST":
            return 200, set_image_times(parts[1], body)
        if route == "seed-images" and method == "POST":
            t = time.time()
            res = seed_images(body)
            res["seconds"] = round(time.time() - t, 3)
            return 200, res
        if len(parts) == 2 and parts[0] == "instances" and method == "GET":
            try:
                return 200, instance_info(parts[1])
            except KeyError:
                return 404, {"error": f"unknown instance {parts[1]}"}
        return 404, {"error": f"no control route {method} /_amibake/{route}"}
    except (BadRequest, ValueError, TypeError) as e:
        return 400, {"error": str(e)}


def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        body = json.loads(raw) if raw.strip() else {}
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        status, payload = handle(method, path, body)
    except ValueError as e:
        status, payload = 400, {"error": f"bad JSON: {e}"}
    except Exception as e:  # pragma: no cover
        import traceback

        traceback.print_exc()
        status, payload = 500, {"error": repr(e)}
    data = json.dumps(payload, default=str).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}.get(status, "OK")
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
