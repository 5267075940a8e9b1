"""UpdateFeatures (57), v0-v2: changes the finalized level of transaction.version (kept in the
data directory, storage/feature_levels.py); every other feature runs at the one level it
supports (handlers/_features.py), a downgrade to 0 of group.version or share.version is accepted
but changes nothing.

As Kafka's controller: the first update that fails fails them all with INVALID_UPDATE_VERSION and
Kafka's message (a negative level, an unknown feature, a level outside the supported range, a
lower level without a downgrade: v0 `allow_downgrade`, v1+ upgrade type 2 safe or 3 unsafe);
otherwise NONE, with per-feature results (message "NONE", as Kafka) in v0-v1 only.
validate_only changes nothing. Needs ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED with
no per-feature results.
"""
from typing import Optional

from fastlog.handlers import _features
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import UpdateFeaturesResponse
from fastlog.security.acl import Operation

SAFE_DOWNGRADE, UNSAFE_DOWNGRADE = 2, 3


def _refusal(feature: str, level: int, current: int, downgrade: bool, node_id: int) -> Optional[str]:
    if level < 0:
        reason = "A feature version cannot be less than 0."
    elif feature not in _features.SUPPORTED:
        reason = f"Local controller {node_id} does not support this feature."
    elif not _features.SUPPORTED[feature][0] <= level <= _features.SUPPORTED[feature][1]:
        low, high = _features.SUPPORTED[feature]
        reason = f"Local controller {node_id} only supports versions {low}-{high}"
    elif level < current and not downgrade:
        reason = ("Can't downgrade the version of this feature without setting the upgrade type to either safe or "
                  "unsafe downgrade.")
    else:
        return None
    return f"Invalid update version {level} for feature {feature}. {reason}"


@api(key=57, name="UpdateFeatures", min_version=0, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> UpdateFeaturesResponse:
    updates = request["feature_updates"]
    if not ctx.may_cluster(Operation.ALTER):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                "error_message": ctx.not_authorized, "results": []}
    levels = ctx.services.features
    for update in updates:
        downgrade = (update.get("allow_downgrade", False) if ctx.api_version == 0
                     else update["upgrade_type"] in (SAFE_DOWNGRADE, UNSAFE_DOWNGRADE))
        refusal = _refusal(update["feature"], update["max_version_level"], levels.level(update["feature"]),
                           downgrade, ctx.services.node_id)
        if refusal is not None:
            return {"throttle_time_ms": 0, "error_code": ErrorCode.INVALID_UPDATE_VERSION, "results": [],
                    "error_message": "The update failed for all features since the following feature had an "
                                     f"error: {refusal}"}
    if not request.get("validate_only", False):
        levels.set({u["feature"]: u["max_version_level"] for u in updates})
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None,
            "results": [{"feature": u["feature"], "error_code": ErrorCode.NONE, "error_message": "NONE"}
                        for u in updates]}
