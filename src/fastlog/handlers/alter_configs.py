"""AlterConfigs (33), v0-v2: replace the explicit configs of a topic, of this broker or the
cluster default (dynamic broker configs; resource name '') with the given set: configs not named
return to their defaults. Every topic config may change on a live topic; broker keys Kafka cannot
change at runtime are refused (INVALID_REQUEST). See handlers/_configs.py."""
from fastlog.handlers._configs import alter_resource
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.responses import AlterConfigsResourceResponse, AlterConfigsResponse


@api(key=33, name="AlterConfigs", min_version=0, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> AlterConfigsResponse:
    responses: list[AlterConfigsResourceResponse] = []
    for res in request["resources"]:
        wanted = {c["name"]: c["value"] for c in res["configs"]}
        responses.append(alter_resource(ctx, res, lambda current: wanted, request["validate_only"]))
    return {"throttle_time_ms": 0, "responses": responses}
