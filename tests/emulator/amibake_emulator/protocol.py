"""Recognise the four AWS protocols amibake speaks and render errors in each one's
real wire format.

* EC2: query protocol, ``<Response><Errors><Error>...`` XML
* IAM / STS / CloudFormation: query protocol, ``<ErrorResponse>`` XML
* SSM: JSON 1.1 (``X-Amz-Target: AmazonSSM.<Action>``), ``{"__type", "message"}``
* S3: REST XML, ``<Error><Code>..`` XML
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

QUERY_XML_SERVICES = {"iam", "sts", "cloudformation", "autoscaling"}


@dataclass
class RequestInfo:
    service: str
    region: str
    action: str
    params: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    # The access key ID that signed the request (SigV4 credential scope), "" if unsigned.
    access_key: str = ""


def read_body(environ: dict[str, Any]) -> bytes:
    """Read the WSGI body and put it back so moto can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def parse_request(environ: dict[str, Any], body: bytes) -> RequestInfo:
    service, region, access_key = "", "us-east-1", ""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in auth:
        try:
            scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
            access_key, _, region, service, _ = scope.split("/")
        except ValueError:
            pass
    service = service.lower()
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    action = ""
    params: dict[str, str] = {}
    if target:
        prefix, _, action = target.partition(".")
        if not service:
            service = "ssm" if prefix.startswith("AmazonSSM") else prefix.lower()
    elif environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded") or (
        environ.get("REQUEST_METHOD") == "GET" and "Action=" in environ.get("QUERY_STRING", "")
    ):
        raw = body.decode("utf-8", "replace") or environ.get("QUERY_STRING", "")
        params = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        action = params.get("Action", "")
    if service == "s3" or (not service and not action):
        service = service or "s3"
        action = s3_action(environ)
    return RequestInfo(
        service=service, region=region, action=action, params=params, body=body, access_key=access_key
    )


BUCKET_SUBRESOURCES = {
    "tagging": "Tagging",
    "policy": "Policy",
    "versioning": "Versioning",
    "acl": "Acl",
    "cors": "Cors",
    "lifecycle": "LifecycleConfiguration",
    "encryption": "Encryption",
}


def s3_action(environ: dict[str, Any]) -> str:
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "/")
    qs = environ.get("QUERY_STRING", "")
    parts = [p for p in path.split("/") if p]
    host = environ.get("HTTP_HOST", "")
    virtual = host.count(".") >= 1 and not host.split(":")[0].replace(".", "").isdigit()
    has_bucket = bool(parts) or virtual
    has_key = len(parts) >= (1 if virtual else 2)
    if not has_bucket:
        return "ListBuckets"
    if has_key:
        return {
            "GET": "GetObject",
            "PUT": "CopyObject" if environ.get("HTTP_X_AMZ_COPY_SOURCE") else "PutObject",
            "HEAD": "HeadObject",
            "DELETE": "DeleteObject",
            "POST": "CreateMultipartUpload" if "uploads" in qs else "CompleteMultipartUpload",
        }.get(method, method)
    # Bucket subresources (`PUT /bucket?tagging` is PutBucketTagging, not
    # CreateBucket): named the way the S3 API names them.
    params = parse_qs(qs, keep_blank_values=True)
    for sub, name in BUCKET_SUBRESOURCES.items():
        if sub in params and method in ("GET", "PUT", "DELETE"):
            return {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}[method] + "Bucket" + name
    if method == "GET":
        if "list-type=2" in qs:
            return "ListObjectsV2"
        if "location" in qs:
            return "GetBucketLocation"
        return "ListObjects"
    return {
        "PUT": "CreateBucket",
        "HEAD": "HeadBucket",
        "DELETE": "DeleteBucket",
        "POST": "DeleteObjects" if "delete" in qs else "PostBucket",
    }.get(method, method)


def _request_id() -> str:
    return str(uuid.uuid4())


def render_error(
    service: str, code: str, message: str, status: int = 400, sender: bool = True
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Return (status, headers, body) for an AWS error in ``service``'s protocol."""
    rid = _request_id()
    if service == "ssm":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-RequestId", rid),
        ]
        return status, headers, body
    if service == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{rid}</RequestID></Response>"
        ).encode()
        return status, [("Content-Type", "text/xml;charset=UTF-8")], body
    if service == "s3":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{rid}</RequestId></Error>"
        ).encode()
        return status, [("Content-Type", "application/xml"), ("x-amz-request-id", rid)], body
    kind = "Sender" if sender else "Receiver"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ErrorResponse xmlns="https://{service}.amazonaws.com/doc/">'
        f"<Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{rid}</RequestId></ErrorResponse>"
    ).encode()
    return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)], body


def throttle_error(service: str) -> tuple[int, list[tuple[str, str]], bytes]:
    if service == "ec2":
        return render_error("ec2", "RequestLimitExceeded", "Request limit exceeded.", 503)
    if service == "ssm":
        return render_error("ssm", "ThrottlingException", "Rate exceeded", 400)
    if service == "s3":
        return render_error("s3", "SlowDown", "Please reduce your request rate.", 503)
    return render_error(service, "Throttling", "Rate exceeded", 400)


def unimplemented_error(info: RequestInfo) -> tuple[int, list[tuple[str, str]], bytes]:
    if info.service == "ssm":
        return render_error("ssm", "UnknownOperationException", f"Unknown operation {info.action}", 400)
    if info.service == "s3":
        return render_error(
            "s3", "NotImplemented", "A header you provided implies functionality that is not implemented", 501
        )
    if info.service == "ec2":
        return render_error(
            "ec2", "InvalidAction", f"The action {info.action} is not valid for this web service.", 400
        )
    return render_error(
        info.service or "sts", "InvalidAction", f"Could not find operation {info.action} for version", 400
    )


def internal_error(info: RequestInfo, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    code = "InternalServerError" if info.service == "ssm" else (
        "InternalError" if info.service in ("ec2", "s3") else "InternalFailure"
    )
    return render_error(info.service or "ec2", code, message, 500, sender=False)
