"""DeleteTopics (20), v1-v6 (by name, and by id from v6). Internal topics cannot be deleted.
Works on a full disk (LogManager.freeing_space), so that an operator can free space."""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DeletableTopicResult, DeleteTopicsResponse
from fastlog.protocol.schema import ZERO_UUID
from fastlog.security.acl import Operation
from fastlog.storage.log_manager import TopicError


@api(key=20, name="DeleteTopics", min_version=1, max_version=6)
async def handle(ctx: RequestContext, request: dict) -> DeleteTopicsResponse:
    services = ctx.services
    if ctx.api_version >= 6:
        wanted = [(t["name"], t["topic_id"]) for t in request["topics"]]
    else:
        wanted = [(name, ZERO_UUID) for name in request["topic_names"]]
    results: list[DeletableTopicResult] = []
    for name, topic_id in wanted:
        topic = services.logs.get(name) if name is not None else services.logs.get_by_id(topic_id)
        error, message = ErrorCode.NONE, None
        if not services.config.get_bool("delete.topic.enable"):
            error, message = ErrorCode.TOPIC_DELETION_DISABLED, "Topic deletion is disabled."
        elif not ctx.may_topic(Operation.DELETE, topic.name if topic else name or ""):
            # a topic id the principal may not delete is not revealed to exist
            error, message = ErrorCode.TOPIC_AUTHORIZATION_FAILED, "Authorization failed."
            if topic is not None and name is None:
                topic = None
        elif topic is None:
            error = ErrorCode.UNKNOWN_TOPIC_ID if name is None else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            message = "This server does not host this topic ID." if name is None else \
                "This server does not host this topic-partition."
        elif topic.internal:
            error, message = ErrorCode.INVALID_TOPIC_EXCEPTION, f"Cannot delete internal topic {topic.name}"
        else:
            try:
                services.logs.delete_topic(topic.name)
            except TopicError as e:
                error, message = ErrorCode(e.code), e.message
            else:
                services.groups.on_topic_deleted(topic.name)
        results.append({"name": topic.name if topic else name, "topic_id": topic.topic_id if topic else topic_id,
                        "error_code": error, "error_message": message})
    return {"throttle_time_ms": 0, "responses": results}
