"""CreateAcls (30), v1-3: add ACL bindings (security/acl.py). Needs ALTER on the cluster;
SECURITY_DISABLED when no authorizer is configured, as Kafka."""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import AclCreationResult, CreateAclsResponse
from fastlog.security.acl import CLUSTER_NAME, AclBinding, Operation, ResourceType, binding_problem


@api(key=30, name="CreateAcls", min_version=1, max_version=3)
async def handle(ctx: RequestContext, request: dict) -> CreateAclsResponse:
    creations = request.get("creations", [])
    authorizer = ctx.services.authorizer

    def every(error: int, message: str) -> CreateAclsResponse:
        return {"throttle_time_ms": 0, "results": [{"error_code": error, "error_message": message} for _ in creations]}

    if not authorizer.enabled:
        return every(ErrorCode.SECURITY_DISABLED, "No Authorizer is configured.")
    if not ctx.authorize(Operation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME):
        return every(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.")
    results: list[AclCreationResult] = []
    valid = []
    for c in creations:
        acl = AclBinding(c["resource_type"], c["resource_name"], c.get("resource_pattern_type", 3), c["principal"],
                         c["host"], c["operation"], c["permission_type"])
        problem = binding_problem(acl)
        if problem:
            results.append({"error_code": ErrorCode.INVALID_REQUEST, "error_message": problem})
        else:
            valid.append(acl)
            results.append({"error_code": ErrorCode.NONE, "error_message": None})
    if valid:
        authorizer.add(valid)
    return {"throttle_time_ms": 0, "results": results}
