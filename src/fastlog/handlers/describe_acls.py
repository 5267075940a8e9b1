"""DescribeAcls (29), v1-3: the ACL bindings matching a filter, grouped by resource. Needs
DESCRIBE on the cluster."""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DescribeAclsResponse
from fastlog.security.acl import CLUSTER_NAME, AclFilter, Operation, ResourceType


def filter_of(item: dict) -> AclFilter:
    """A DescribeAcls request or a DeleteAcls filter -> AclFilter."""
    return AclFilter(item["resource_type_filter"], item.get("resource_name_filter"), item.get("pattern_type_filter", 3),
                     item.get("principal_filter"), item.get("host_filter"), item["operation"], item["permission_type"])


@api(key=29, name="DescribeAcls", min_version=1, max_version=3)
async def handle(ctx: RequestContext, request: dict) -> DescribeAclsResponse:
    authorizer = ctx.services.authorizer
    if not authorizer.enabled:
        return {"throttle_time_ms": 0, "error_code": ErrorCode.SECURITY_DISABLED,
                "error_message": "No Authorizer is configured.", "resources": []}
    if not ctx.authorize(Operation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                "error_message": None, "resources": []}
    acl_filter = filter_of(request)
    problem = acl_filter.problem()
    if problem:
        return {"throttle_time_ms": 0, "error_code": ErrorCode.INVALID_REQUEST, "error_message": problem,
                "resources": []}
    grouped: dict[tuple[int, str, int], list] = {}
    for acl in authorizer.find(acl_filter):
        grouped.setdefault((acl.resource_type, acl.resource_name, acl.pattern_type), []).append(
            {"principal": acl.principal, "host": acl.host, "operation": acl.operation,
             "permission_type": acl.permission})
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None, "resources": [
        {"resource_type": rtype, "resource_name": name, "pattern_type": pattern, "acls": acls}
        for (rtype, name, pattern), acls in grouped.items()]}
