"""EC2 behaviour moto lacks: image states, files in images, the missing image
calls, duplicate names, DescribeImages pagination, DeleteAssociatedSnapshots,
LastLaunchedTime, IAM propagation on RunInstances, ModifySnapshotAttribute's
structured `CreateVolumePermission` form, ModifyInstanceAttribute's
`EnaSupport`/`SriovNetSupport` (stopped instances only) and their inheritance
by CreateImage and CopyImage.

Implemented by patching methods of moto's EC2 response classes, so moto's own
parser and serializer (botocore shapes) still produce the wire format.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import time
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.responses import EC2Response
from moto.ec2.responses.amis import AmisResponse
from moto.ec2.responses.elastic_block_store import ElasticBlockStore
from moto.ec2.responses.instances import InstanceResponse

from . import lifecycle, sandbox
from .state import ACCOUNT_ID, STATE

AMI_NAME_RE = re.compile(r"^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$")


def iso_ms(t: dt.datetime | float | None = None) -> str:
    if t is None:
        t = time.time()
    if isinstance(t, (int, float)):
        t = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    t = t.astimezone(dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def parse_time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc)
    s = str(value).strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    d = dt.datetime.fromisoformat(s)
    return d if d.tzinfo else d.replace(tzinfo=dt.timezone.utc)


def _get_ami(backend: Any, image_id: str) -> Any:
    return backend.describe_images(ami_ids=[image_id])[0]


def _own_ami(backend: Any, image_id: str) -> Any:
    ami = backend.amis.get(image_id)
    if ami is None:
        _get_ami(backend, image_id)  # raises the right error
        raise EC2ClientError("InvalidAMIID.NotFound", f"The image id '[{image_id}]' does not exist")
    return ami


def check_name(backend: Any, name: str | None) -> None:
    if not name or not AMI_NAME_RE.match(name):
        raise EC2ClientError(
            "InvalidAMIName.Malformed",
            "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, "
            "'(', ')', '.', '-', '/' and '_'",
        )
    for ami in backend.amis.values():
        if ami.name == name and ami.owner_id == ACCOUNT_ID:
            raise EC2ClientError("InvalidAMIName.Duplicate", f"AMI name {name} is already in use by AMI {ami.id}")


def _tags_of(spec_list: list[dict[str, Any]], resource_type: str) -> list[dict[str, str]]:
    tags: list[dict[str, str]] = []
    for spec in spec_list or []:
        if spec.get("ResourceType") == resource_type:
            tags += spec.get("Tags", [])
    return tags


# ------------------------------------------------------------------ RunInstances

_orig_run_instances = InstanceResponse.run_instances


def run_instances(self: Any) -> Any:
    name = self._get_param("IamInstanceProfile.Name")
    arn = self._get_param("IamInstanceProfile.Arn")
    lifecycle.check_profile_propagated(name, arn)
    result = _orig_run_instances(self)
    reservation = result.result
    now = time.time()
    for inst in reservation.instances:
        rec = lifecycle.record(inst.id)
        rec["profile_name"] = name
        rec["profile_arn"] = arn
        rec["image_id"] = inst.image_id
        img = STATE.images.get(inst.image_id)
        if img and img.get("files"):
            rec["image_files"] = img["files"]
        ami = self.ec2_backend.amis.get(inst.image_id)
        if ami is not None:
            ami.last_launched_time = iso_ms(now)
    return result


# ------------------------------------------------------------------ CreateImage


def create_image(self: Any) -> ActionResult:
    name = self._get_param("Name")
    description = self._get_param("Description", "")
    instance_id = self._get_param("InstanceId")
    specs = self._get_param("TagSpecifications", []) or []
    no_reboot = bool(self._get_param("NoReboot", False))
    self.error_on_dryrun()
    for spec in specs:
        if spec.get("ResourceType") not in ("image", "snapshot"):
            raise EC2ClientError(
                "InvalidParameterValue",
                f"'{spec.get('ResourceType')}' is not a valid taggable resource type for this operation.",
            )
    backend = self.ec2_backend
    inst = backend.get_instance(instance_id)
    check_name(backend, name)
    image_specs = [{"ResourceType": "image", "Tags": _tags_of(specs, "image")}]
    ami = backend.create_image(instance_id, name, description, tag_specifications=image_specs)
    _inherit_networking(ami, inst, from_instance=True)
    for tag in _tags_of(specs, "snapshot"):
        ami.ebs_snapshot.add_tag(tag["Key"], tag["Value"])
    files = STATE.image_dir(ami.id)
    sandbox.snapshot_root(instance_id, files)
    STATE.images[ami.id] = {"region": backend.region_name, "files": files}
    if not no_reboot and inst._state.name == "running":
        rec = lifecycle.record(instance_id)
        rec["offline_until"] = time.time() + STATE.delay("instance_rebooting")
    lifecycle.image_pending(ami, "image_pending")
    return ActionResult({"ImageId": ami.id})


def _inherit_networking(ami: Any, origin: Any, from_instance: bool) -> None:
    """An image keeps its instance's (or source image's) EnaSupport and
    SriovNetSupport, as AWS's CreateImage and CopyImage do. An instance's
    are the ones ModifyInstanceAttribute set (moto's own instance default
    is not used); absent ones stay absent. DescribeImages serializes them
    from `ena_support`/`sriov_net_support`."""
    for attr in ("ena_support", "sriov_net_support"):
        value = getattr(origin, ("_ab_" if from_instance else "") + attr, None)
        if value is not None:
            setattr(ami, attr, value)


# ------------------------------------------------------------------ ModifyInstanceAttribute

_orig_modify_instance_attribute = InstanceResponse.modify_instance_attribute


def modify_instance_attribute(self: Any) -> Any:
    """`EnaSupport.Value` / `SriovNetSupport.Value`, which moto lacks. AWS
    accepts them on stopped instances only (IncorrectInstanceState)."""
    ena = self._get_param("EnaSupport.Value")
    sriov = self._get_param("SriovNetSupport.Value")
    if ena is None and sriov is None:
        return _orig_modify_instance_attribute(self)
    instance_id = self._get_param("InstanceId")
    self.error_on_dryrun()
    inst = self.ec2_backend.get_instance(instance_id)
    if inst._state.name != "stopped":
        raise EC2ClientError(
            "IncorrectInstanceState",
            f"The instance '{instance_id}' is not in the 'stopped' state.",
        )
    if ena is not None:
        inst._ab_ena_support = str(ena).lower() == "true"
    if sriov is not None:
        if sriov != "simple":
            raise EC2ClientError("InvalidParameterValue", f"Value ({sriov}) for parameter sriovNetSupport is invalid.")
        inst._ab_sriov_net_support = "simple"
    return EmptyResult()


# ------------------------------------------------------------------ CopyImage


def copy_image(self: Any) -> ActionResult:
    from moto.ec2.models import ec2_backends

    source_image_id = self._get_param("SourceImageId")
    source_region = self._get_param("SourceRegion")
    name = self._get_param("Name")
    description = self._get_param("Description")
    copy_tags = bool(self._get_param("CopyImageTags", False))
    specs = self._get_param("TagSpecifications", []) or []
    self.error_on_dryrun()
    backend = self.ec2_backend
    src_backend = ec2_backends[ACCOUNT_ID][source_region]
    src = _get_ami(src_backend, source_image_id)
    check_name(backend, name)
    ami = backend.copy_image(source_image_id, source_region, name, description)
    _inherit_networking(ami, src, from_instance=False)
    ami.source_image_id = source_image_id
    ami.source_image_region = source_region
    if copy_tags:
        for tag in src.get_tags():
            ami.add_tag(tag["key"] if "key" in tag else tag["Key"], tag["value"] if "value" in tag else tag["Value"])
    for tag in _tags_of(specs, "image"):
        ami.add_tag(tag["Key"], tag["Value"])
    src_files = STATE.images.get(source_image_id, {}).get("files")
    files = None
    if src_files and os.path.isdir(src_files):
        files = STATE.image_dir(ami.id)
        sandbox.copy_tree(src_files, files)
    STATE.images[ami.id] = {"region": backend.region_name, "files": files}
    fail = None
    if backend.region_name in STATE.copy_fail_regions:
        fail = {"Code": "Server.InternalError", "Message": "Server.InternalError: Internal error"}
    lifecycle.image_pending(ami, "copy_pending", fail)
    return ActionResult({"ImageId": ami.id})


# ------------------------------------------------------------------ RegisterImage

_orig_register = AmisResponse.register_image


def register_image(self: Any) -> Any:
    name = self._get_param("Name")
    check_name(self.ec2_backend, name)
    result = _orig_register(self)
    ami = self.ec2_backend.amis[result.result["ImageId"]]
    root = self._get_param("RootDeviceName")
    if root:
        ami.root_device_name = root
    for bdm in self._get_param("BlockDeviceMappings", []) or []:
        snap_id = (bdm.get("Ebs") or {}).get("SnapshotId")
        if snap_id and snap_id in self.ec2_backend.snapshots:
            auto = ami.ebs_snapshot
            ami.ebs_snapshot = self.ec2_backend.snapshots[snap_id]
            self.ec2_backend.snapshots.pop(auto.id, None)
            break
    return result


# ------------------------------------------------------------------ DescribeImages


def describe_images(self: Any) -> ActionResult:
    self.error_on_dryrun()
    ami_ids = self._get_param("ImageIds", [])
    filters = self._filters_from_querystring()
    owners = self._get_param("Owners", [])
    exec_users = self._get_param("ExecutableUsers", [])
    max_results = self._get_param("MaxResults")
    next_token = self._get_param("NextToken")
    include_disabled = bool(self._get_param("IncludeDisabled", False))
    if max_results is not None and ami_ids:
        raise EC2ClientError(
            "InvalidParameterCombination", "The parameter ImageIds cannot be used with the parameter MaxResults"
        )
    images = self.ec2_backend.describe_images(
        ami_ids=ami_ids, filters=filters, exec_users=exec_users, owners=owners
    )
    if not include_disabled and not ami_ids:
        images = [i for i in images if i.state != "disabled"]
    result: dict[str, Any] = {}
    if max_results is not None or next_token:
        limit = int(max_results) if max_results is not None else 1000
        if limit < 1 or limit > 1000:
            raise EC2ClientError(
                "InvalidParameterValue", f"Value ({limit}) for parameter maxResults is invalid. Expecting a value between 1 and 1000."
            )
        images = sorted(images, key=lambda a: a.id)
        start = 0
        if next_token:
            try:
                after = base64.urlsafe_b64decode(next_token.encode()).decode()
            except Exception:
                raise EC2ClientError("InvalidParameterValue", f"Invalid value '{next_token}' for nextToken")
            start = next((i for i, a in enumerate(images) if a.id > after), len(images))
        page = images[start:start + limit]
        if start + limit < len(images) and page:
            result["NextToken"] = base64.urlsafe_b64encode(page[-1].id.encode()).decode()
        images = page
    result["Images"] = images
    return ActionResult(result)


# ------------------------------------------------------------------ DeregisterImage


def _protected(ami: Any) -> bool:
    p = getattr(ami, "deregistration_protection", None) or "disabled"
    if p.startswith("enabled"):
        return True
    if p.startswith("disabled-until"):
        until = getattr(ami, "_ab_protect_until", 0.0)
        return time.time() < until
    return False


def deregister_image(self: Any) -> ActionResult:
    ami_id = self._get_param("ImageId")
    delete_snaps = bool(self._get_param("DeleteAssociatedSnapshots", False))
    self.error_on_dryrun()
    backend = self.ec2_backend
    ami = backend.amis.get(ami_id)
    if ami is not None and _protected(ami):
        raise EC2ClientError(
            "OperationNotPermitted",
            f"The AMI {ami_id} is protected from deregistration. "
            "Disable deregistration protection and try again.",
        )
    snap = getattr(ami, "ebs_snapshot", None) if ami is not None else None
    backend.deregister_image(ami_id)
    STATE.images.pop(ami_id, None)
    result: dict[str, Any] = {"Return": True}
    if delete_snaps and snap is not None:
        in_use = any(
            getattr(getattr(other, "ebs_snapshot", None), "id", None) == snap.id for other in backend.amis.values()
        )
        if in_use:
            code = "skipped"
        elif snap.id in backend.snapshots:
            backend.snapshots.pop(snap.id)
            code = "success"
        else:
            code = "client-error"
        result["DeleteSnapshotResults"] = [{"SnapshotId": snap.id, "ReturnCode": code}]
    return ActionResult(result)


# ------------------------------------------------------------------ attributes / deprecation / protection


def describe_image_attribute(self: Any) -> Any:
    attr = self._get_param("Attribute")
    if attr == "lastLaunchedTime":
        ami_id = self._get_param("ImageId")
        ami = _own_ami(self.ec2_backend, ami_id)
        result: dict[str, Any] = {"ImageId": ami_id}
        llt = getattr(ami, "last_launched_time", None)
        result["LastLaunchedTime"] = {"Value": llt} if llt else {}
        return ActionResult(result)
    if attr == "deregistrationProtection":
        ami_id = self._get_param("ImageId")
        ami = _own_ami(self.ec2_backend, ami_id)
        return ActionResult({"ImageId": ami_id, "DeregistrationProtection": {
            "Value": getattr(ami, "deregistration_protection", None) or "disabled"}})
    return _orig_describe_image_attribute(self)


_orig_describe_image_attribute = AmisResponse.describe_image_attribute


def enable_image_deprecation(self: Any) -> ActionResult:
    ami_id = self._get_param("ImageId")
    deprecate_at = self._get_param("DeprecateAt")
    self.error_on_dryrun()
    ami = _own_ami(self.ec2_backend, ami_id)
    when = parse_time(deprecate_at)
    # AWS rounds to the nearest minute.
    when = (when + dt.timedelta(seconds=30)).replace(second=0, microsecond=0)
    now = dt.datetime.now(dt.timezone.utc)
    if when <= now:
        raise EC2ClientError("InvalidParameterValue", "The deprecation time must be in the future.")
    if when > now + dt.timedelta(days=3653):
        raise EC2ClientError("InvalidParameterValue", "The deprecation time can't be more than 10 years in the future.")
    ami.deprecation_time = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return ActionResult({"Return": True})


def disable_image_deprecation(self: Any) -> ActionResult:
    ami_id = self._get_param("ImageId")
    self.error_on_dryrun()
    ami = _own_ami(self.ec2_backend, ami_id)
    ami.deprecation_time = None
    return ActionResult({"Return": True})


def enable_image_deregistration_protection(self: Any) -> ActionResult:
    ami_id = self._get_param("ImageId")
    cooldown = bool(self._get_param("WithCooldown", False))
    self.error_on_dryrun()
    ami = _own_ami(self.ec2_backend, ami_id)
    ami.deregistration_protection = "enabled-with-cooldown" if cooldown else "enabled"
    return ActionResult({"Return": "true"})


def disable_image_deregistration_protection(self: Any) -> ActionResult:
    ami_id = self._get_param("ImageId")
    self.error_on_dryrun()
    ami = _own_ami(self.ec2_backend, ami_id)
    if getattr(ami, "deregistration_protection", None) == "enabled-with-cooldown":
        until = time.time() + 24 * 3600
        ami._ab_protect_until = until
        ami.deregistration_protection = "disabled-until " + iso_ms(until)[:-5] + "Z"
    else:
        ami.deregistration_protection = "disabled"
    return ActionResult({"Return": "true"})


def describe_image_references(self: Any) -> ActionResult:
    ids = self._get_param("ImageIds", []) or []
    backend = self.ec2_backend
    region = backend.region_name
    for i in ids:
        _get_ami(backend, i)
    refs: list[dict[str, str]] = []
    for inst in backend.all_instances():
        if inst.image_id in ids and inst._state.name != "terminated":
            refs.append({"ImageId": inst.image_id, "ResourceType": "ec2:Instance",
                         "Arn": f"arn:aws:ec2:{region}:{ACCOUNT_ID}:instance/{inst.id}"})
    for lt in getattr(backend, "launch_templates", {}).values():
        for ver in getattr(lt, "versions", [])[-10:]:
            data = getattr(ver, "data", {}) or {}
            if data.get("ImageId") in ids:
                refs.append({"ImageId": data["ImageId"], "ResourceType": "ec2:LaunchTemplate",
                             "Arn": f"arn:aws:ec2:{region}:{ACCOUNT_ID}:launch-template/{lt.id}"})
                break
    return ActionResult({"ImageReferences": refs})


def _fast_get_tags(self: Any) -> list[dict[str, str]]:
    """moto's get_tags scans every tag of the region per resource (quadratic for
    DescribeImages of thousands of images); same result, direct lookup."""
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    rid = getattr(self, "id", None)
    if not rid:
        return []
    tags = self.ec2_backend.tags.get(rid) or {}
    rtype = EC2_PREFIX_TO_RESOURCE.get(get_prefix(rid), "")
    return [{"resource_id": rid, "key": k, "value": v, "resource_type": rtype} for k, v in tags.items()]


def modify_snapshot_attribute(self: Any) -> ActionResult:
    """AWS takes either `OperationType` with `UserId.N`/`UserGroup.N` (what
    moto reads) or `CreateVolumePermission.Add.N`/`.Remove.N` entries with a
    `UserId` or a `Group` (what the SDKs send); both change the same list."""
    perm = self._get_param("CreateVolumePermission") or {}
    if not perm:
        return _orig_modify_snapshot_attribute(self)
    snapshot_id = self._get_param("SnapshotId")
    self.error_on_dryrun()
    self.ec2_backend.get_snapshot(snapshot_id)
    for op in ("Add", "Remove"):
        items = perm.get(op) or []
        users = [i["UserId"] for i in items if i.get("UserId")]
        groups = [i["Group"] for i in items if i.get("Group")]
        if groups and any(g != "all" for g in groups):
            raise EC2ClientError("InvalidParameterValue", "The only valid group is 'all'.")
        if users or groups:
            method = "add_create_volume_permission" if op == "Add" else "remove_create_volume_permission"
            getattr(self.ec2_backend, method)(snapshot_id, user_ids=users, groups=groups)
    return EmptyResult()


_orig_modify_snapshot_attribute = ElasticBlockStore.modify_snapshot_attribute


def install() -> None:
    from moto.ec2.models.core import TaggedEC2Resource

    TaggedEC2Resource.get_tags = _fast_get_tags  # type: ignore[method-assign]
    InstanceResponse.run_instances = run_instances  # type: ignore[method-assign]
    InstanceResponse.modify_instance_attribute = modify_instance_attribute  # type: ignore[method-assign]
    AmisResponse.create_image = create_image  # type: ignore[method-assign]
    AmisResponse.copy_image = copy_image  # type: ignore[method-assign]
    AmisResponse.register_image = register_image  # type: ignore[method-assign]
    AmisResponse.describe_images = describe_images  # type: ignore[method-assign]
    AmisResponse.deregister_image = deregister_image  # type: ignore[method-assign]
    AmisResponse.describe_image_attribute = describe_image_attribute  # type: ignore[method-assign]
    ElasticBlockStore.modify_snapshot_attribute = modify_snapshot_attribute  # type: ignore[method-assign]
    for fn in (enable_image_deprecation, disable_image_deprecation, enable_image_deregistration_protection,
               disable_image_deregistration_protection, describe_image_references):
        setattr(EC2Response, fn.__name__, fn)
