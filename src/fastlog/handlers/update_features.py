"""UpdateFeatures (57), v0-v2: fastlog runs each feature at the one level it supports
(handlers/_features.py), so only requests that keep every level are accepted (a feature of
FIXED_LEVELS is refused below its level with a message of fastlog's own).

As Kafka's controller: the first update that fails fails them all with INVALID_UPDATE_VERSION and
Kafka's message (a negative level, an unknown feature, a level outside the supported range);
otherwise NONE, with per-feature results (message "NONE", as Kafka) in v0-v1 only.
validate_only changes nothing here either. Needs ALTER on the cluster, else
CLUSTER_AUTHORIZATION_FAILED with no per-feature results.
"""
from typing import Optional

from fastlog.handlers import _features
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import UpdateFeaturesResponse
from fastlog.security.acl import Operation


def _refusal(feature: str, level: int, node_id: int) -> Optional[str]:
    if level < 0:
        reason = "A feature version cannot be less than 0."
    elif feature not in _features.SUPPORTED:
        reason = f"Local controller {node_id} does not support this feature."
    else:
        low, high = _features.SUPPORTED[feature]
        fixed = _features.FIXED_LEVELS.get(feature, level)
        if not low <= level <= high:
            reason = f"Local controller {node_id} only supports versions {low}-{high}"
        elif level != fixed:
            reason = f"fastlog runs {feature} at level {fixed} only."
        else:
            return None
    return f"Invalid update version {level} for feature {feature}. {reason}"


@api(key=57, name="UpdateFeatures", min_version=0, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> UpdateFeaturesResponse:
    updates = request["feature_updates"]
    if not ctx.may_cluster(Operation.ALTER):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                "error_message": ctx.not_authorized, "results": []}
    for update in updates:
        refusal = _refusal(update["feature"], update["max_version_level"], ctx.services.node_id)
        if refusal is not None:
            return {"throttle_time_ms": 0, "error_code": ErrorCode.INVALID_UPDATE_VERSION, "results": [],
                    "error_message": "The update failed for all features since the following feature had an "
                                     f"error: {refusal}"}
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None,
            "results": [{"feature": u["feature"], "error_code": ErrorCode.NONE, "error_message": "NONE"}
                        for u in updates]}
