"""GetTelemetrySubscriptions (71), v0: client metrics (KIP-714), answered as Kafka 4.1 answers
without a metrics plugin.

Such a Kafka leaves 71 and 72 out of ApiVersions (so clients never call them; `advertised=False`
here) but answers them when asked: a client with the zero id is given a new random id, and every
client gets the empty subscription (no metrics requested, 5-minute push interval, 1 MiB limit).
The subscription id is derived from the client id (see push_telemetry.py, which checks it), so
no per-client state is kept; Kafka's per-client throttling (THROTTLING_QUOTA_EXCEEDED for asking
again before the push interval) is therefore not reproduced.
"""
import uuid
import zlib

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import GetTelemetrySubscriptionsResponse
from fastlog.protocol.schema import ZERO_UUID

PUSH_INTERVAL_MS = 300_000       # Kafka's default interval when no subscription matches
TELEMETRY_MAX_BYTES = 1_048_576  # Kafka's telemetry.max.bytes default
# CompressionType ids Kafka offers, in its order of preference: zstd, lz4, gzip, snappy.
ACCEPTED_COMPRESSION = [4, 3, 1, 2]


def subscription_id(client_instance_id: bytes) -> int:
    """The id of the (empty) subscription handed to this client, as a signed int32."""
    value = zlib.crc32(b"fastlog-empty-subscription" + client_instance_id)
    return value - (1 << 32) if value >= 1 << 31 else value


@api(key=71, name="GetTelemetrySubscriptions", min_version=0, max_version=0, advertised=False)
async def handle(ctx: RequestContext, request: dict) -> GetTelemetrySubscriptionsResponse:
    instance = request["client_instance_id"]
    if instance == ZERO_UUID:
        instance = uuid.uuid4().bytes
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "client_instance_id": instance,
            "subscription_id": subscription_id(instance), "accepted_compression_types": ACCEPTED_COMPRESSION,
            "push_interval_ms": PUSH_INTERVAL_MS, "telemetry_max_bytes": TELEMETRY_MAX_BYTES,
            "delta_temporality": True, "requested_metrics": []}
