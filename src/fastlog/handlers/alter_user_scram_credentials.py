"""AlterUserScramCredentials (51), v0: add, replace or delete SCRAM credentials. The client
sends the salted password (Hi(password, salt, i)), never the password; we keep only StoredKey and
ServerKey derived from it (security/scram.py). Needs ALTER on the cluster."""
from collections import Counter

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import AlterUserScramCredentialsResponse
from fastlog.security.acl import CLUSTER_NAME, Operation, ResourceType
from fastlog.security.scram import MAX_ITERATIONS, MECHANISM_IDS, MIN_ITERATIONS, credential_from_salted


@api(key=51, name="AlterUserScramCredentials", min_version=0, max_version=0)
async def handle(ctx: RequestContext, request: dict) -> AlterUserScramCredentialsResponse:
    deletions, upsertions = request.get("deletions", []), request.get("upsertions", [])
    users = [d["name"] for d in deletions] + [u["name"] for u in upsertions]
    if not ctx.authorize(Operation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME):
        return {"throttle_time_ms": 0, "results": [
            {"user": name, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "error_message": None}
            for name in dict.fromkeys(users)]}
    store = ctx.services.scram
    errors: dict[str, tuple[int, str]] = {}
    # The same (user, mechanism) twice in one request is refused for that user (Kafka's rule).
    pairs = Counter((d["name"], d["mechanism"]) for d in deletions + upsertions)
    for (name, mechanism), count in pairs.items():
        if count > 1:
            errors.setdefault(name, (ErrorCode.DUPLICATE_RESOURCE,
                                     "A user credential cannot be altered twice in the same request"))
    for item in deletions + upsertions:
        name, mechanism = item["name"], MECHANISM_IDS.get(item["mechanism"])
        if not name:
            errors.setdefault(name, (ErrorCode.UNACCEPTABLE_CREDENTIAL, "Username must not be empty"))
        elif mechanism is None:
            errors.setdefault(name, (ErrorCode.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism"))
        elif "iterations" in item and not MIN_ITERATIONS <= item["iterations"] <= MAX_ITERATIONS:
            errors.setdefault(name, (ErrorCode.UNACCEPTABLE_CREDENTIAL,
                                     f"Iterations must be between {MIN_ITERATIONS} and {MAX_ITERATIONS}"))
        elif "iterations" not in item and store.get(name, mechanism) is None:
            errors.setdefault(name, (ErrorCode.RESOURCE_NOT_FOUND,
                                     "Attempt to delete a user credential that does not exist"))
    changed = False
    for item in deletions:
        if item["name"] not in errors:
            changed |= store.delete(item["name"], MECHANISM_IDS[item["mechanism"]])
    for item in upsertions:
        if item["name"] not in errors:
            mechanism = MECHANISM_IDS[item["mechanism"]]
            store.set(item["name"], mechanism, credential_from_salted(
                mechanism, bytes(item["salt"]), item["iterations"], bytes(item["salted_password"])))
            changed = True
    if changed:
        store.save()
    return {"throttle_time_ms": 0, "results": [
        {"user": name, "error_code": errors.get(name, (ErrorCode.NONE, None))[0],
         "error_message": errors.get(name, (ErrorCode.NONE, None))[1]} for name in dict.fromkeys(users)]}
