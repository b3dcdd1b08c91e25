"""Speed-ups of moto that do not change behaviour.

* IAM: moto builds every AWS managed policy (~1,300) for each of the five
  partitions the first time any request resolves the caller's account, and
  re-parses the same JSON each time. We only use the ``aws`` partition: load
  them there, from a JSON parse cached for the process (also across resets).
"""

from __future__ import annotations

import json
from typing import Any

from moto.iam import models as iam_models

_parsed: dict[str, Any] | None = None


def _init_aws_policies(self: Any) -> list[Any]:
    global _parsed
    if not iam_models.load_iam_aws_managed_policies():
        return []
    if getattr(self, "region_name", "aws") != "aws":
        return []
    if _parsed is None:
        _parsed = json.loads(iam_models.aws_managed_policies_data)
    return [
        iam_models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, d)
        for name, d in _parsed.items()
    ]


def install() -> None:
    iam_models.IAMBackend._init_aws_policies = _init_aws_policies  # type: ignore[method-assign]
