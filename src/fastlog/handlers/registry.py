"""The one list of APIs fastlog serves.

Each handler module registers its API key and version range once with `@api(...)`. Dispatch and
the ApiVersions answer are both built from `REGISTRY`, so there is no second list to keep in step.
"""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from typing import Any, Awaitable, Callable, Mapping, Optional

from fastlog.config import Listener
from fastlog.security.acl import ANONYMOUS, CLUSTER_NAME, Operation, ResourceType
from fastlog.security.sasl import SaslSession
from fastlog.services import BrokerServices


@dataclasses.dataclass
class RequestContext:
    """What a handler may know about the request besides its body."""

    services: BrokerServices
    api_key: int
    api_version: int
    correlation_id: int
    client_id: Optional[str]
    client_host: str  # as Kafka reports it: "/127.0.0.1" (no port)
    # Set by a handler that wants the connection closed after this request (with this reason in
    # the log), e.g. Produce with acks=0 that failed: the client gets no response to notice.
    close_reason: Optional[str] = None
    # The listener the request came in on (its advertised address filled in), the authenticated
    # principal ("User:name"; User:ANONYMOUS on PLAINTEXT) and, on SASL listeners, the session
    # the SASL handlers drive.
    listener: Optional[Listener] = None
    principal: str = ANONYMOUS
    sasl: Optional[SaslSession] = None
    # Like close_reason, but the response is written first (a failed SaslAuthenticate).
    close_after_response: Optional[str] = None

    @property
    def address(self) -> tuple[str, int]:
        """This broker's address as clients of this request's listener must use it."""
        if self.listener is not None and self.listener.advertised_host is not None:
            return self.listener.advertised_host, self.listener.advertised_port or 0
        return self.services.host, self.services.port

    @property
    def host(self) -> str:
        """The client's address as ACL bindings name it ("127.0.0.1")."""
        return self.client_host.lstrip("/")

    def authorize(self, operation: Operation, resource_type: ResourceType, name: str) -> bool:
        """May this request's principal do `operation` on the resource (security/acl.py)?"""
        return self.services.authorizer.authorize(self.principal, operation, resource_type, name, self.host)

    def may_topic(self, operation: Operation, topic: str) -> bool:
        return self.authorize(operation, ResourceType.TOPIC, topic)

    def may_group(self, operation: Operation, group: str) -> bool:
        return self.authorize(operation, ResourceType.GROUP, group)

    def may_cluster(self, operation: Operation) -> bool:
        return self.authorize(operation, ResourceType.CLUSTER, CLUSTER_NAME)

    def may_transactional_id(self, operation: Operation, transactional_id: str) -> bool:
        return self.authorize(operation, ResourceType.TRANSACTIONAL_ID, transactional_id)

    @property
    def not_authorized(self) -> str:
        """The message of a cluster operation refused as a whole (Kafka's authorizeClusterOperation
        says "Request <the request> is not authorized.")."""
        spec = REGISTRY.get(self.api_key)
        return f"Request {spec.name if spec else self.api_key} is not authorized."


class EncodedResponse:
    """A response a handler encoded itself: the frame's pieces as codec.encode_response returns
    them (the compiled Fetch path, handlers/fetch.py). Its session_id is 0 (sessionless)."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: list) -> None:
        self.pieces = pieces


# A handler takes the context and the decoded request dict (or what its ApiSpec.decode gave) and
# returns the response dict (typed as its shape from fastlog.protocol.responses), or None when no
# response is sent (acks=0 Produce), or an EncodedResponse.
Handler = Callable[[RequestContext, Any], Awaitable[Optional[Mapping[str, Any] | EncodedResponse]]]
# decode(version, frame, body offset): the request as the handler takes it, for an API that decodes
# some requests its own way (the Fetch path's compiled decoder). What is not a dict has as_dict(),
# the codec's decoding, for the generic paths (an error answer).
Decoder = Callable[[int, Any, int], Any]


@dataclasses.dataclass(frozen=True)
class ApiSpec:
    key: int
    name: str
    min_version: int
    max_version: int
    handler: Handler
    # False: served when asked but left out of the ApiVersions answer, as Kafka leaves out the
    # client-telemetry APIs when no metrics plugin is configured (so clients never call them).
    advertised: bool = True
    # True: the handler touches only thread-safe state, so a connection on any network loop
    # (server/network_loops.py) runs it there for a principal that needs no ACL decision; the
    # others run on the main loop, which owns the broker's Python state.
    any_loop: bool = False
    # None: the codec decodes every request of the API.
    decode: Optional[Decoder] = None


REGISTRY: dict[int, ApiSpec] = {}


def api(key: int, name: str, min_version: int, max_version: int, advertised: bool = True,
        any_loop: bool = False, decode: Optional[Decoder] = None) -> Callable[[Handler], Handler]:
    """Register `handler` as the implementation of API `key` for versions min..max inclusive."""

    def register(handler: Handler) -> Handler:
        if key in REGISTRY:
            raise RuntimeError(f"API key {key} registered twice")
        REGISTRY[key] = ApiSpec(key, name, min_version, max_version, handler, advertised, any_loop, decode)
        return handler

    return register


def load_all() -> dict[int, ApiSpec]:
    """Import every module of fastlog.handlers so each registers itself."""
    import fastlog.handlers as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "registry" and not info.name.startswith("_"):
            importlib.import_module(f"fastlog.handlers.{info.name}")
    return REGISTRY
