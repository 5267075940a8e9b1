"""ApiVersions (18): the version range of every advertised API in the registry.

v0-v5. v5 (KIP-1242) lets a client say which cluster and node it means to reach: both or
neither must be given (INVALID_REQUEST otherwise), and a cluster id or node id that is not ours
is answered REBOOTSTRAP_REQUIRED, as Kafka 4.4 does. A request newer than we serve is answered
(by the connection) at v0 with UNSUPPORTED_VERSION and, as Apache Kafka does, only ApiVersions'
own range, so the client retries at our maximum. v3+ also carry the feature levels of handlers/_features.py.
"""
from fastlog.handlers import _features
from fastlog.handlers.registry import REGISTRY, RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import ApiVersion, ApiVersionsResponse, SupportedFeatureKey


def _api_keys() -> list[ApiVersion]:
    return [
        {"api_key": spec.key, "min_version": spec.min_version, "max_version": spec.max_version}
        for spec in sorted(REGISTRY.values(), key=lambda s: s.key) if spec.advertised
    ]


def unsupported_version_response() -> ApiVersionsResponse:
    spec = REGISTRY[API_VERSIONS]
    return {"error_code": ErrorCode.UNSUPPORTED_VERSION,
            "api_keys": [{"api_key": spec.key, "min_version": spec.min_version, "max_version": spec.max_version}]}


API_VERSIONS = 18


def _target_error(ctx: RequestContext, request: dict) -> int:
    cluster_id, node_id = request.get("cluster_id"), request.get("node_id", -1)
    if cluster_id is None and node_id == -1:
        return ErrorCode.NONE
    if cluster_id is None or node_id == -1:
        return ErrorCode.INVALID_REQUEST
    if cluster_id != ctx.services.cluster_id or node_id != ctx.services.node_id:
        return ErrorCode.REBOOTSTRAP_REQUIRED
    return ErrorCode.NONE


@api(key=API_VERSIONS, name="ApiVersions", min_version=0, max_version=5)
async def handle(ctx: RequestContext, request: dict) -> ApiVersionsResponse:
    error = _target_error(ctx, request)
    if error:
        return {"error_code": error, "api_keys": [], "throttle_time_ms": 0}
    # v3 leaves out features whose lowest level is 0: clients before v4 cannot read such a range.
    supported: list[SupportedFeatureKey] = [{"name": name, "min_version": low, "max_version": high}
                 for name, (low, high) in _features.SUPPORTED.items() if low > 0 or ctx.api_version >= 4]
    return {"error_code": ErrorCode.NONE, "api_keys": _api_keys(), "throttle_time_ms": 0,
            "supported_features": supported, "finalized_features_epoch": ctx.services.features.epoch,
            "finalized_features": [{"name": name, "max_version_level": level, "min_version_level": level}
                                   for name, level in ctx.services.features.finalized().items()]}
