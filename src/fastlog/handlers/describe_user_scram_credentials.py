"""DescribeUserScramCredentials (50), v0: which SCRAM mechanisms (and iterations) each user has;
never salts or keys. Needs DESCRIBE on the cluster."""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DescribeUserScramCredentialsResponse, DescribeUserScramCredentialsResult
from fastlog.security.acl import CLUSTER_NAME, Operation, ResourceType
from fastlog.security.scram import MECHANISM_NUMBERS


@api(key=50, name="DescribeUserScramCredentials", min_version=0, max_version=0)
async def handle(ctx: RequestContext, request: dict) -> DescribeUserScramCredentialsResponse:
    if not ctx.authorize(Operation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                "error_message": None, "results": []}
    store = ctx.services.scram
    asked = request.get("users")
    # No users or an empty list: every user with a credential, as Kafka (the AdminClient's
    # describe-all sends an empty list).
    names = [u["name"] for u in asked] if asked else sorted(store.users)
    results: list[DescribeUserScramCredentialsResult] = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            results.append({"user": name, "error_code": ErrorCode.DUPLICATE_RESOURCE,
                            "error_message": f"Cannot describe SCRAM credentials for the same user twice: {name}",
                            "credential_infos": []})
            continue
        seen.add(name)
        creds = store.users.get(name)
        if not creds:
            results.append({"user": name, "error_code": ErrorCode.RESOURCE_NOT_FOUND,
                            "error_message": f"Attempt to describe a user credential that does not exist: {name}",
                            "credential_infos": []})
            continue
        results.append({"user": name, "error_code": ErrorCode.NONE, "error_message": None,
                        "credential_infos": [{"mechanism": MECHANISM_NUMBERS[m], "iterations": c.iterations}
                                             for m, c in sorted(creds.items())]})
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "error_message": None, "results": results}
