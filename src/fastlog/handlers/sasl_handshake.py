"""SaslHandshake (17), v0-1: pick the SASL mechanism of a connection (security/sasl.py)."""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import SaslHandshakeResponse


@api(key=17, name="SaslHandshake", min_version=0, max_version=1)
async def handle(ctx: RequestContext, request: dict) -> SaslHandshakeResponse:
    session = ctx.sasl
    if session is None:
        # Kafka answers on a listener without SASL with ILLEGAL_SASL_STATE and no mechanisms.
        return {"error_code": ErrorCode.ILLEGAL_SASL_STATE, "mechanisms": []}
    offered = session.listener.mechanisms
    if not session.handshake(request["mechanism"]):
        return {"error_code": ErrorCode.UNSUPPORTED_SASL_MECHANISM, "mechanisms": offered}
    # v0: the tokens that follow come as bare frames, not SaslAuthenticate requests
    session.raw_tokens = ctx.api_version == 0
    return {"error_code": ErrorCode.NONE, "mechanisms": offered}
