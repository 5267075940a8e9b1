"""DeleteAcls (31), v1-3: remove the ACL bindings matching each filter and list them. Needs
ALTER on the cluster."""
from fastlog.handlers.describe_acls import filter_of
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DeleteAclsFilterResult, DeleteAclsResponse
from fastlog.security.acl import CLUSTER_NAME, Operation, ResourceType


@api(key=31, name="DeleteAcls", min_version=1, max_version=3)
async def handle(ctx: RequestContext, request: dict) -> DeleteAclsResponse:
    filters = request.get("filters", [])
    authorizer = ctx.services.authorizer

    def every(error: int, message: str) -> DeleteAclsResponse:
        return {"throttle_time_ms": 0, "filter_results": [
            {"error_code": error, "error_message": message, "matching_acls": []} for _ in filters]}

    if not authorizer.enabled:
        return every(ErrorCode.SECURITY_DISABLED, "No Authorizer is configured.")
    if not ctx.authorize(Operation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME):
        return every(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.")
    results: list[DeleteAclsFilterResult] = []
    for item in filters:
        acl_filter = filter_of(item)
        problem = acl_filter.problem()
        if problem:
            results.append({"error_code": ErrorCode.INVALID_REQUEST, "error_message": problem, "matching_acls": []})
            continue
        gone = authorizer.remove(acl_filter)
        results.append({"error_code": ErrorCode.NONE, "error_message": None, "matching_acls": [
            {"error_code": ErrorCode.NONE, "error_message": None, "resource_type": a.resource_type,
             "resource_name": a.resource_name, "pattern_type": a.pattern_type, "principal": a.principal,
             "host": a.host, "operation": a.operation, "permission_type": a.permission} for a in gone]})
    return {"throttle_time_ms": 0, "filter_results": results}
