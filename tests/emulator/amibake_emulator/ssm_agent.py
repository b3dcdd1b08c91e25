"""The SSM side: managed-instance registration and a Run Command agent that
really runs ``AWS-RunShellScript`` in the instance's sandbox.

Replaces moto's SendCommand / GetCommandInvocation / ListCommands and adds
DescribeInstanceInformation, ListCommandInvocations and CancelCommand.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ssm.responses import SimpleSystemManagerResponse

from . import lifecycle, sandbox
from .state import ACCOUNT_ID, STATE

MAX_STDOUT = 24000
MAX_STDERR = 8000
TRUNCATED_SUFFIX = "--output truncated--"
LIST_OUTPUT_MAX = 2500
REBOOT_EXIT = 194
KILLED_EXIT = 137
MAX_REBOOTS = 10
PLUGIN = "aws:runShellScript"
DONE = {"Success", "Failed", "TimedOut", "Cancelled"}


class SSMError(ServiceException):
    pass


def _ts(t: float | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc) if t else None


def _iso(t: float | None) -> str:
    if not t:
        return ""
    d = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def read_prefix(data: bytes, max_len: int) -> str:
    """The agent's pluginutil.ReadPrefix: at most max_len bytes; when the output
    reaches the limit, it is cut and ends with ``--output truncated--``."""
    if len(data) < max_len:
        return data.decode("utf-8", "replace")
    pos = max_len - len(TRUNCATED_SUFFIX)
    return data[:pos].decode("utf-8", "ignore") + TRUNCATED_SUFFIX


class Invocation:
    def __init__(self, cmd: "Command", instance_id: str) -> None:
        self.cmd = cmd
        self.instance_id = instance_id
        self.status = "Pending"
        self.details = "Pending"
        self.response_code = -1
        self.stdout = b""
        self.stderr = b""
        self.start: float | None = None
        self.end: float | None = None
        self.proc: subprocess.Popen | None = None
        self.cancel_requested = False
        self.timed_out = False
        self.runs = 0
        self.stdout_url = ""
        self.stderr_url = ""

    def finish(self, status: str, details: str, code: int) -> None:
        self.status, self.details, self.response_code = status, details, code
        self.end = time.time()

    def out_text(self) -> str:
        return read_prefix(self.stdout, MAX_STDOUT) if self.status in DONE else ""

    def err_text(self) -> str:
        return read_prefix(self.stderr, MAX_STDERR) if self.status in DONE else ""

    def plugin(self) -> dict[str, Any]:
        output = ""
        if self.status in DONE:
            output = self.stdout.decode("utf-8", "replace")
            if self.stderr:
                output += "\n----------ERROR-------\n" + self.stderr.decode("utf-8", "replace")
            if len(output) > LIST_OUTPUT_MAX:
                output = output[: LIST_OUTPUT_MAX - len(TRUNCATED_SUFFIX)] + TRUNCATED_SUFFIX
        return {
            "Name": PLUGIN,
            "Status": self.status,
            "StatusDetails": self.details,
            "ResponseCode": self.response_code,
            "ResponseStartDateTime": _ts(self.start),
            "ResponseFinishDateTime": _ts(self.end),
            "Output": output,
            "StandardOutputUrl": self.stdout_url,
            "StandardErrorUrl": self.stderr_url,
            "OutputS3Region": self.cmd.s3_region,
            "OutputS3BucketName": self.cmd.s3_bucket,
            "OutputS3KeyPrefix": self.cmd.s3_prefix,
        }


class Command:
    def __init__(self, region: str, params: dict[str, Any]) -> None:
        self.id = str(uuid.uuid4())
        self.region = region
        self.document_name = params["DocumentName"]
        self.document_version = params.get("DocumentVersion") or "$DEFAULT"
        self.comment = params.get("Comment", "")
        self.parameters: dict[str, list[str]] = params.get("Parameters") or {}
        self.instance_ids: list[str] = list(params.get("InstanceIds") or [])
        self.targets = params.get("Targets") or []
        self.timeout_seconds = int(params.get("TimeoutSeconds") or 3600)
        self.s3_bucket = params.get("OutputS3BucketName", "") or ""
        self.s3_prefix = params.get("OutputS3KeyPrefix", "") or ""
        self.s3_region = params.get("OutputS3Region", "") or (region if self.s3_bucket else "")
        self.max_concurrency = params.get("MaxConcurrency", "50")
        self.max_errors = params.get("MaxErrors", "0")
        self.service_role = params.get("ServiceRoleArn", "")
        self.requested = time.time()
        self.visible_at = self.requested + STATE.delay("invocation_visible")
        self.invocations: dict[str, Invocation] = {i: Invocation(self, i) for i in self.instance_ids}

    def status(self) -> tuple[str, str]:
        sts = [i.status for i in self.invocations.values()]
        if not sts:
            return "Success", "Success"
        if all(s in DONE for s in sts):
            for s in ("TimedOut", "Failed", "Cancelled"):
                if s in sts:
                    return s, {"TimedOut": "TimedOut", "Failed": "Failed", "Cancelled": "Cancelled"}[s]
            return "Success", "Success"
        if any(s != "Pending" for s in sts):
            return "InProgress", "InProgress"
        return "Pending", "Pending"

    def to_json(self) -> dict[str, Any]:
        status, details = self.status()
        done = [i for i in self.invocations.values() if i.status in DONE]
        return {
            "CommandId": self.id,
            "DocumentName": self.document_name,
            "DocumentVersion": self.document_version,
            "Comment": self.comment,
            "ExpiresAfter": _ts(self.requested + self.timeout_seconds),
            "Parameters": self.parameters,
            "InstanceIds": self.instance_ids,
            "Targets": self.targets,
            "RequestedDateTime": _ts(self.requested),
            "Status": status,
            "StatusDetails": details,
            "OutputS3Region": self.s3_region,
            "OutputS3BucketName": self.s3_bucket,
            "OutputS3KeyPrefix": self.s3_prefix,
            "MaxConcurrency": self.max_concurrency,
            "MaxErrors": self.max_errors,
            "TargetCount": len(self.invocations),
            "CompletedCount": len(done),
            "ErrorCount": len([i for i in done if i.status != "Success"]),
            "DeliveryTimedOutCount": 0,
            "ServiceRole": self.service_role,
            "TimeoutSeconds": self.timeout_seconds,
        }


# ------------------------------------------------------------------ execution


def execution_timeout(params: dict[str, list[str]]) -> int:
    raw = (params.get("executionTimeout") or ["3600"])
    raw = raw[0] if isinstance(raw, list) and raw else raw
    try:
        v = int(str(raw).strip())
    except ValueError:
        return 3600
    return v if 5 <= v <= 172800 else 3600


def _orchestration(inv: Invocation) -> str:
    return (f"/var/lib/amazon/ssm/{inv.instance_id}/document/orchestration/{inv.cmd.id}"
            f"/awsrunShellScript/0.awsrunShellScript")


def _upload_s3(inv: Invocation) -> None:
    cmd = inv.cmd
    if not cmd.s3_bucket:
        return
    from moto.s3.models import s3_backends

    prefix = cmd.s3_prefix.strip("/")
    base = f"{prefix}/" if prefix else ""
    base += f"{cmd.id}/{inv.instance_id}/awsrunShellScript/0.awsrunShellScript"
    try:
        s3 = s3_backends[ACCOUNT_ID]["aws"]
        s3.get_bucket(cmd.s3_bucket)
    except Exception:
        return  # the real agent only logs an upload failure
    for name, data in (("stdout", inv.stdout), ("stderr", inv.stderr)):
        if not data:
            continue
        key = f"{base}/{name}"
        with STATE.lock:
            s3.put_object(cmd.s3_bucket, key, data)
        url = f"https://s3.{cmd.s3_region or cmd.region}.amazonaws.com/{cmd.s3_bucket}/{key}"
        if name == "stdout":
            inv.stdout_url = url
        else:
            inv.stderr_url = url


def _wait_online(inv: Invocation) -> bool:
    """Delivery: wait until the agent is Online (up to TimeoutSeconds)."""
    deadline = inv.cmd.requested + inv.cmd.timeout_seconds
    while True:
        if inv.cancel_requested:
            return False
        with STATE.lock:
            ps = lifecycle.ping_status(inv.instance_id)
        if ps == "Online":
            return True
        if ps is None or time.time() > deadline:
            with STATE.lock:
                inv.finish("TimedOut", "DeliveryTimedOut", -1)
            return False
        time.sleep(0.05)


def _run_once(inv: Invocation, root: str, script_inside: str, workdir: str, timeout: int) -> tuple[int, bool]:
    host_dir = sandbox.host_path(root, os.path.dirname(script_inside))
    out_path = os.path.join(host_dir, "stdout")
    err_path = os.path.join(host_dir, "stderr")
    argv, cwd, env = sandbox.sandbox_argv(root, workdir, ["/bin/sh", script_inside],
                                          stubs_for=inv.instance_id if STATE.ssm_mode == "stub" else None)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                                start_new_session=True)
        inv.proc = proc
        timed_out = False
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(proc)
            proc.wait()
            rc = KILLED_EXIT
        inv.proc = None
    with open(out_path, "rb") as f:
        inv.stdout = f.read()
    with open(err_path, "rb") as f:
        inv.stderr = f.read()
    if rc < 0:
        rc = 128 - rc
    return rc, timed_out


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _workdir_exists(root: str, workdir: str) -> bool:
    first = workdir.strip("/").split("/", 1)[0]
    if first in ("etc", "opt", "root", "home", "tmp", "var", "srv") or workdir.startswith("/usr/local"):
        return os.path.isdir(sandbox.host_path(root, workdir))
    return os.path.isdir(workdir) if sandbox.bwrap_works() else os.path.isdir(sandbox.host_path(root, workdir))


def _agent(inv: Invocation) -> None:
    cmd = inv.cmd
    try:
        time.sleep(STATE.delay("command_start"))
        if not _wait_online(inv):
            if inv.cancel_requested and inv.status not in DONE:
                with STATE.lock:
                    inv.finish("Cancelled", "Cancelled", -1)
            return
        with STATE.lock:
            if inv.cancel_requested:
                inv.finish("Cancelled", "Cancelled", -1)
                return
            inv.status = inv.details = "InProgress"
            inv.start = time.time()
            rec = lifecycle.record(inv.instance_id)
            commands = cmd.parameters.get("commands") or []
            if isinstance(commands, str):
                commands = [commands]
            rec["commands"].append({"command_id": cmd.id, "document": cmd.document_name,
                                    "commands": list(commands), "time": time.time()})
            mode = STATE.ssm_mode
        if cmd.document_name != "AWS-RunShellScript" or mode == "record":
            with STATE.lock:
                inv.finish("Success", "Success", 0)
            return
        root = sandbox.ensure_root(inv.instance_id)
        orch = _orchestration(inv)
        host_orch = sandbox.host_path(root, orch)
        os.makedirs(host_orch, exist_ok=True)
        script_inside = orch + "/_script.sh"
        with open(sandbox.host_path(root, script_inside), "w") as f:
            f.write("\n".join(commands) + "\n")
        wd_param = cmd.parameters.get("workingDirectory") or [""]
        workdir = (wd_param[0] if isinstance(wd_param, list) else wd_param) or orch
        timeout = execution_timeout(cmd.parameters)
        if not _workdir_exists(root, workdir):
            inv.stderr = f"failed to run commands: chdir {workdir}: no such file or directory\n".encode()
            with STATE.lock:
                inv.finish("Failed", "Failed", 1)
            _upload_s3(inv)
            return
        deadline = time.time() + timeout
        while True:
            inv.runs += 1
            rc, timed_out = _run_once(inv, root, script_inside, workdir, max(1, int(deadline - time.time())))
            if inv.cancel_requested:
                with STATE.lock:
                    inv.finish("Cancelled", "Cancelled", rc)
                break
            if timed_out:
                with STATE.lock:
                    inv.finish("TimedOut", "ExecutionTimedOut", KILLED_EXIT)
                break
            if rc == REBOOT_EXIT and inv.runs <= MAX_REBOOTS:
                # The agent reboots the instance, then runs this step again.
                with STATE.lock:
                    rec = lifecycle.record(inv.instance_id)
                    rec["offline_until"] = time.time() + STATE.delay("instance_rebooting")
                    rec["reboots"] = rec.get("reboots", 0) + 1
                time.sleep(STATE.delay("instance_rebooting"))
                if not _wait_online(inv):
                    break
                continue
            with STATE.lock:
                if rc == 0:
                    inv.finish("Success", "Success", 0)
                else:
                    inv.stderr += f"failed to run commands: exit status {rc}".encode()
                    inv.finish("Failed", "Failed", rc)
            break
        _upload_s3(inv)
    except Exception as e:  # pragma: no cover
        import traceback

        traceback.print_exc()
        with STATE.lock:
            inv.stderr += f"emulator error: {e}".encode()
            inv.finish("Failed", "Failed", -1)


def kill_all() -> None:
    for cmd in list(STATE.commands.values()):
        for inv in cmd.invocations.values():
            inv.cancel_requested = True
            if inv.proc is not None:
                _kill(inv.proc)


# ------------------------------------------------------------------ API


def _err(code: str, message: str = "") -> SSMError:
    return SSMError(code, message)


def _visible(cmd: Command) -> bool:
    return time.time() >= cmd.visible_at


def send_command(self: Any) -> ActionResult:
    params = {
        k: self._get_param(k)
        for k in ("DocumentName", "DocumentVersion", "Comment", "Parameters", "InstanceIds", "Targets",
                  "TimeoutSeconds", "OutputS3BucketName", "OutputS3KeyPrefix", "OutputS3Region",
                  "MaxConcurrency", "MaxErrors", "ServiceRoleArn")
    }
    if not params["DocumentName"]:
        raise _err("ValidationException", "1 validation error detected: Value null at 'documentName' failed to satisfy constraint: Member must not be null")
    ids = list(params.get("InstanceIds") or [])
    for t in params.get("Targets") or []:
        if str(t.get("Key", "")).lower() == "instanceids":
            ids += t.get("Values", [])
        else:
            raise _err("InvalidTarget", "Only InstanceIds targets are supported by the emulator")
    if not ids:
        raise _err("ValidationException", "Either InstanceIds or Targets must be specified")
    if params["DocumentName"] == "AWS-RunShellScript" and not (params.get("Parameters") or {}).get("commands"):
        raise _err("InvalidParameters", "Parameter \"commands\" is required.")
    params["InstanceIds"] = list(dict.fromkeys(ids))
    bad = [i for i in params["InstanceIds"]
           if lifecycle.STATE.instances.get(i, {}).get("region") != self.region or lifecycle.ping_status(i) is None]
    if bad:
        raise _err("InvalidInstanceId", f"Instances {bad} not in a valid state for account {ACCOUNT_ID}")
    cmd = Command(self.region, params)
    STATE.commands[cmd.id] = cmd
    for inv in cmd.invocations.values():
        threading.Thread(target=_agent, args=(inv,), name=f"ssm-{cmd.id[:8]}-{inv.instance_id}", daemon=True).start()
    return ActionResult({"Command": cmd.to_json()})


def _command(command_id: str | None) -> Command:
    cmd = STATE.commands.get(command_id or "")
    if cmd is None:
        raise _err("InvalidCommandId", "")
    return cmd


def get_command_invocation(self: Any) -> ActionResult:
    command_id = self._get_param("CommandId")
    instance_id = self._get_param("InstanceId")
    plugin = self._get_param("PluginName")
    cmd = STATE.commands.get(command_id or "")
    if cmd is None or cmd.region != self.region:
        raise _err("InvalidCommandId", "")
    inv = cmd.invocations.get(instance_id or "")
    if inv is None or not _visible(cmd):
        raise _err("InvocationDoesNotExist", "")
    if plugin and plugin != PLUGIN:
        raise _err("InvalidPluginName", "")
    elapsed = ""
    if inv.start:
        secs = (inv.end or time.time()) - inv.start
        elapsed = "PT%.3fS" % secs
    return ActionResult({
        "CommandId": cmd.id,
        "InstanceId": inv.instance_id,
        "Comment": cmd.comment,
        "DocumentName": cmd.document_name,
        "DocumentVersion": cmd.document_version,
        "PluginName": PLUGIN,
        "ResponseCode": inv.response_code,
        "ExecutionStartDateTime": _iso(inv.start),
        "ExecutionElapsedTime": elapsed,
        "ExecutionEndDateTime": _iso(inv.end),
        "Status": inv.status,
        "StatusDetails": inv.details,
        "StandardOutputContent": inv.out_text(),
        "StandardOutputUrl": inv.stdout_url,
        "StandardErrorContent": inv.err_text(),
        "StandardErrorUrl": inv.stderr_url,
        "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "", "CloudWatchOutputEnabled": False},
    })


def _paginate(items: list[Any], max_results: Any, next_token: Any, default: int = 50) -> tuple[list[Any], str | None]:
    start = 0
    if next_token:
        try:
            start = int(base64.b64decode(next_token).decode())
        except Exception:
            raise _err("InvalidNextToken", "The specified token isn't valid.")
    limit = int(max_results) if max_results else default
    page = items[start:start + limit]
    token = base64.b64encode(str(start + limit).encode()).decode() if start + limit < len(items) else None
    return page, token


def list_command_invocations(self: Any) -> ActionResult:
    command_id = self._get_param("CommandId")
    instance_id = self._get_param("InstanceId")
    details = bool(self._get_param("Details", False))
    if command_id:
        cmds = [_command(command_id)]
    else:
        cmds = sorted(STATE.commands.values(), key=lambda c: -c.requested)
    out = []
    for cmd in cmds:
        if cmd.region != self.region or not _visible(cmd):
            continue
        for inv in cmd.invocations.values():
            if instance_id and inv.instance_id != instance_id:
                continue
            item = {
                "CommandId": cmd.id,
                "InstanceId": inv.instance_id,
                "InstanceName": "",
                "Comment": cmd.comment,
                "DocumentName": cmd.document_name,
                "DocumentVersion": cmd.document_version,
                "RequestedDateTime": _ts(cmd.requested),
                "Status": inv.status,
                "StatusDetails": inv.details,
                "StandardOutputUrl": inv.stdout_url,
                "StandardErrorUrl": inv.stderr_url,
                "ServiceRole": cmd.service_role,
                "CommandPlugins": [inv.plugin()] if details else [],
            }
            out.append(item)
    page, token = _paginate(out, self._get_param("MaxResults"), self._get_param("NextToken"))
    res: dict[str, Any] = {"CommandInvocations": page}
    if token:
        res["NextToken"] = token
    return ActionResult(res)


def list_commands(self: Any) -> ActionResult:
    command_id = self._get_param("CommandId")
    instance_id = self._get_param("InstanceId")
    if command_id:
        cmds = [_command(command_id)]
    else:
        cmds = sorted(STATE.commands.values(), key=lambda c: -c.requested)
    cmds = [c for c in cmds if c.region == self.region and (not instance_id or instance_id in c.invocations)]
    page, token = _paginate([c.to_json() for c in cmds], self._get_param("MaxResults"), self._get_param("NextToken"))
    res: dict[str, Any] = {"Commands": page}
    if token:
        res["NextToken"] = token
    return ActionResult(res)


def cancel_command(self: Any) -> ActionResult:
    cmd = _command(self._get_param("CommandId"))
    if cmd.region != self.region:
        raise _err("InvalidCommandId", "")
    ids = self._get_param("InstanceIds") or list(cmd.invocations)
    for i in ids:
        inv = cmd.invocations.get(i)
        if inv is None:
            raise _err("InvalidInstanceId", f"Instance {i} is not part of command {cmd.id}")
    for i in ids:
        inv = cmd.invocations[i]
        if inv.status in DONE:
            continue
        inv.cancel_requested = True
        if inv.status == "Pending":
            inv.finish("Cancelled", "Cancelled", -1)
        elif inv.proc is not None:
            _kill(inv.proc)
    return ActionResult({})


def describe_instance_information(self: Any) -> ActionResult:
    wanted: set[str] | None = None
    ping_filter: set[str] | None = None
    platform_filter: set[str] | None = None
    for f in self._get_param("InstanceInformationFilterList") or []:
        key, vals = f.get("key"), set(f.get("valueSet") or [])
        if key == "InstanceIds":
            wanted = vals if wanted is None else wanted & vals
        elif key == "PingStatus":
            ping_filter = vals
        elif key == "PlatformTypes":
            platform_filter = vals
    for f in self._get_param("Filters") or []:
        key, vals = f.get("Key"), set(f.get("Values") or [])
        if key == "InstanceIds":
            wanted = vals if wanted is None else wanted & vals
        elif key == "PingStatus":
            ping_filter = vals
        elif key == "PlatformTypes":
            platform_filter = vals
        elif key not in ("AgentVersion", "ResourceType", "AssociationStatus"):
            raise _err("InvalidInstanceInformationFilterValue", f"Unsupported filter key {key}")
    max_results = self._get_param("MaxResults")
    if max_results is not None and not (5 <= int(max_results) <= 50):
        raise _err("ValidationException", "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value between 5 and 50")
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[ACCOUNT_ID][self.region]
    items = []
    for inst in sorted(backend.all_instances(), key=lambda i: i.id):
        if wanted is not None and inst.id not in wanted:
            continue
        ps = lifecycle.ping_status(inst.id)
        if ps is None:
            continue
        if ping_filter is not None and ps not in ping_filter:
            continue
        if platform_filter is not None and "Linux" not in platform_filter:
            continue
        rec = STATE.instances.get(inst.id, {})
        items.append({
            "InstanceId": inst.id,
            "PingStatus": ps,
            "LastPingDateTime": _ts(time.time() if ps == "Online" else rec.get("launched_at")),
            "AgentVersion": "3.3.1802.0",
            "IsLatestVersion": True,
            "PlatformType": "Linux",
            "PlatformName": "Amazon Linux",
            "PlatformVersion": "2023",
            "ResourceType": "EC2Instance",
            "IPAddress": inst.private_ip or "",
            "ComputerName": (inst.private_dns_name or inst.id),
            "AssociationStatus": "Success",
            "SourceId": inst.id,
            "SourceType": "AWS::EC2::Instance",
        })
    page, token = _paginate(items, max_results, self._get_param("NextToken"), default=50)
    res: dict[str, Any] = {"InstanceInformationList": page}
    if token:
        res["NextToken"] = token
    return ActionResult(res)


def install() -> None:
    for fn in (send_command, get_command_invocation, list_command_invocations, list_commands, cancel_command,
               describe_instance_information):
        setattr(SimpleSystemManagerResponse, fn.__name__, fn)
