"""PushTelemetry (72), v0: metrics pushed by a client (KIP-714), dropped as Kafka drops them
without a metrics plugin (see get_telemetry_subscriptions.py).

As Kafka: the zero client id is an INVALID_REQUEST, a subscription id this broker did not hand
out for that client is UNKNOWN_SUBSCRIPTION_ID, metrics over the 1 MiB limit are
TELEMETRY_TOO_LARGE; anything else is accepted.
"""
from fastlog.handlers.get_telemetry_subscriptions import TELEMETRY_MAX_BYTES, ZERO_UUID, subscription_id
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import PushTelemetryResponse


@api(key=72, name="PushTelemetry", min_version=0, max_version=0, advertised=False)
async def handle(ctx: RequestContext, request: dict) -> PushTelemetryResponse:
    instance = request["client_instance_id"]
    if instance == ZERO_UUID:
        code = ErrorCode.INVALID_REQUEST
    elif request["subscription_id"] != subscription_id(instance):
        code = ErrorCode.UNKNOWN_SUBSCRIPTION_ID
    elif len(request["metrics"]) > TELEMETRY_MAX_BYTES:
        code = ErrorCode.TELEMETRY_TOO_LARGE
    else:
        code = ErrorCode.NONE
    return {"throttle_time_ms": 0, "error_code": code}
