"""SaslAuthenticate (36), v0-2: one token of the chosen mechanism (security/sasl.py). A failure
answers SASL_AUTHENTICATION_FAILED and the connection is closed after the answer, as Kafka does.
v1+ tell the client how long its session lasts (KIP-368, connections.max.reauth.ms)."""
import asyncio

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import SaslAuthenticateResponse
from fastlog.security.sasl import AuthenticationFailed


@api(key=36, name="SaslAuthenticate", min_version=0, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> SaslAuthenticateResponse:
    session = ctx.sasl
    if session is None or session.mechanism is None:
        ctx.close_after_response = "SaslAuthenticate without SaslHandshake"
        return {"error_code": ErrorCode.ILLEGAL_SASL_STATE, "error_message": "SaslAuthenticate before SaslHandshake",
                "auth_bytes": b"", "session_lifetime_ms": 0}
    try:
        reply, finished = session.authenticate(bytes(request["auth_bytes"]))
    except AuthenticationFailed as e:
        ctx.close_after_response = f"SASL authentication failed ({session.mechanism})"
        return {"error_code": ErrorCode.SASL_AUTHENTICATION_FAILED, "error_message": str(e), "auth_bytes": b"",
                "session_lifetime_ms": 0}
    lifetime = 0
    if finished:
        reauth_ms = session.listener.reauth_ms
        if reauth_ms > 0 and ctx.api_version >= 1:
            lifetime = reauth_ms
            session.expires_at = asyncio.get_running_loop().time() + reauth_ms / 1000
        else:
            session.expires_at = None
    return {"error_code": ErrorCode.NONE, "error_message": None, "auth_bytes": reply, "session_lifetime_ms": lifetime}
