"""ACLs with Kafka's model (StandardAuthorizer): bindings of a resource pattern to a principal,
host, operation and allow/deny; the durable store; and `authorize`, the one check every handler
asks.

A request is allowed when no DENY binding matches it and an ALLOW binding does (or, when no
binding names the resource at all, when allow.everyone.if.no.acl.found is true). super.users
are allowed everything. Operations imply others as in Kafka: READ, WRITE, DELETE and ALTER
imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; ALL implies all (DENY ALL denies all).
"""
from __future__ import annotations

import dataclasses
import enum
import json
import os
import threading
from typing import Iterable, Optional

from fastlog.config import Config, ConfigError
from fastlog.files import atomic_write

STORE_FILE = "acls.json"
AUTHORIZER_NAMES = ("org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                    "kafka.security.authorizer.AclAuthorizer", "StandardAuthorizer", "fastlog.security.acl.Authorizer")
ANONYMOUS = "User:ANONYMOUS"


class ResourceType(enum.IntEnum):  # Kafka's ResourceType codes
    UNKNOWN = 0
    ANY = 1
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5
    DELEGATION_TOKEN = 6
    USER = 7


class PatternType(enum.IntEnum):
    UNKNOWN = 0
    ANY = 1
    MATCH = 2
    LITERAL = 3
    PREFIXED = 4


class Operation(enum.IntEnum):
    UNKNOWN = 0
    ANY = 1
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12
    CREATE_TOKENS = 13
    DESCRIBE_TOKENS = 14


class Permission(enum.IntEnum):
    UNKNOWN = 0
    ANY = 1
    DENY = 2
    ALLOW = 3


WILDCARD = "*"
# An ALLOW of the key also allows these (Kafka's AclEntry implied operations).
_IMPLIED = {Operation.DESCRIBE: {Operation.READ, Operation.WRITE, Operation.DELETE, Operation.ALTER},
            Operation.DESCRIBE_CONFIGS: {Operation.ALTER_CONFIGS}}

# What each resource type supports (CreateAcls refuses others, as Kafka does).
SUPPORTED = {
    ResourceType.TOPIC: {Operation.READ, Operation.WRITE, Operation.CREATE, Operation.DESCRIBE, Operation.DELETE,
                         Operation.ALTER, Operation.DESCRIBE_CONFIGS, Operation.ALTER_CONFIGS},
    ResourceType.GROUP: {Operation.READ, Operation.DESCRIBE, Operation.DELETE, Operation.DESCRIBE_CONFIGS,
                         Operation.ALTER_CONFIGS},
    ResourceType.CLUSTER: {Operation.CREATE, Operation.CLUSTER_ACTION, Operation.DESCRIBE_CONFIGS,
                           Operation.ALTER_CONFIGS, Operation.IDEMPOTENT_WRITE, Operation.ALTER, Operation.DESCRIBE},
    ResourceType.TRANSACTIONAL_ID: {Operation.DESCRIBE, Operation.WRITE},
    ResourceType.DELEGATION_TOKEN: {Operation.DESCRIBE},
    ResourceType.USER: {Operation.CREATE_TOKENS, Operation.DESCRIBE_TOKENS},
}
CLUSTER_NAME = "kafka-cluster"
# Kafka's own messages of the authorization errors (Errors.java), for answers that carry one.
REFUSED_MESSAGES = {29: "Topic authorization failed.", 30: "Group authorization failed.",
                    31: "Cluster authorization failed.", 53: "Transactional Id authorization failed."}


@dataclasses.dataclass(frozen=True)
class AclBinding:
    resource_type: int
    resource_name: str
    pattern_type: int
    principal: str
    host: str
    operation: int
    permission: int

    def matches_resource(self, resource_type: int, name: str) -> bool:
        if self.resource_type != resource_type:
            return False
        if self.pattern_type == PatternType.LITERAL:
            return self.resource_name in (name, WILDCARD)
        return self.pattern_type == PatternType.PREFIXED and name.startswith(self.resource_name)


@dataclasses.dataclass(frozen=True)
class AclFilter:
    """DescribeAcls/DeleteAcls filter: None (or ANY) fields match everything; MATCH pattern type
    matches every binding that would apply to the named resource (literal, wildcard, prefixes)."""
    resource_type: int
    resource_name: Optional[str]
    pattern_type: int
    principal: Optional[str]
    host: Optional[str]
    operation: int
    permission: int

    def matches(self, acl: AclBinding) -> bool:
        if self.resource_type != ResourceType.ANY and acl.resource_type != self.resource_type:
            return False
        if self.pattern_type == PatternType.MATCH:
            if self.resource_name is not None and not acl.matches_resource(acl.resource_type, self.resource_name):
                return False
        else:
            if self.pattern_type != PatternType.ANY and acl.pattern_type != self.pattern_type:
                return False
            if self.resource_name is not None and acl.resource_name != self.resource_name:
                return False
        return ((self.principal is None or acl.principal == self.principal)
                and (self.host is None or acl.host == self.host)
                and (self.operation == Operation.ANY or acl.operation == self.operation)
                and (self.permission == Permission.ANY or acl.permission == self.permission))

    def problem(self) -> Optional[str]:
        """Why the filter cannot be used (Kafka's INVALID_REQUEST cases), or None."""
        if ResourceType.UNKNOWN in (self.resource_type,) or self.pattern_type == PatternType.UNKNOWN \
                or self.operation == Operation.UNKNOWN or self.permission == Permission.UNKNOWN:
            return "the filter has an UNKNOWN element"
        return None


def binding_problem(acl: AclBinding) -> Optional[str]:
    """Why CreateAcls refuses the binding (INVALID_REQUEST), or None."""
    try:
        rtype, pattern = ResourceType(acl.resource_type), PatternType(acl.pattern_type)
        operation, permission = Operation(acl.operation), Permission(acl.permission)
    except ValueError:
        return "unknown resource type, pattern type, operation or permission"
    if rtype in (ResourceType.ANY, ResourceType.UNKNOWN) or pattern not in (PatternType.LITERAL, PatternType.PREFIXED) \
            or operation in (Operation.ANY, Operation.UNKNOWN) or permission not in (Permission.ALLOW, Permission.DENY):
        return "ACL bindings must name a concrete resource type, pattern type, operation and permission"
    if operation != Operation.ALL and operation not in SUPPORTED.get(rtype, set()):
        return f"operation {operation.name} does not apply to resource type {rtype.name}"
    if rtype == ResourceType.CLUSTER and acl.resource_name != CLUSTER_NAME:
        return f"the cluster resource is named {CLUSTER_NAME}"
    if not acl.resource_name:
        return "the resource name is empty"
    if ":" not in acl.principal:
        return f"could not parse principal {acl.principal!r}: expected Type:name"
    return None


class Authorizer:
    """The ACLs of the broker and the decisions made from them; None `enabled` = no authorizer
    configured (everything allowed, as Kafka without authorizer.class.name)."""

    def __init__(self, config: Config, data_dir: str) -> None:
        name = config.get("authorizer.class.name")
        if name and name not in AUTHORIZER_NAMES:
            raise ConfigError(f"authorizer.class.name={name}: fastlog has one authorizer "
                              f"({AUTHORIZER_NAMES[0]} or StandardAuthorizer)")
        self.enabled = bool(name)
        self.super_users = {p.strip() for p in (config.get("super.users") or "").split(";") if p.strip()}
        self.allow_if_no_acl = config.get_bool("allow.everyone.if.no.acl.found")
        self.path = os.path.join(data_dir, STORE_FILE)
        self._lock = threading.Lock()
        # Bumped by every change of the ACLs, so that decisions cached elsewhere (the Produce
        # fast path's writable topics, storage/produce_fast.py) know when to be made again.
        self.generation = 0
        self.acls: list[AclBinding] = []
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as f:
                self.acls = [AclBinding(**item) for item in json.load(f)]

    def save(self) -> None:
        with self._lock:
            atomic_write(self.path, json.dumps([dataclasses.asdict(a) for a in self.acls], indent=1))

    # -- the check -------------------------------------------------------------------------------
    def authorize(self, principal: str, operation: Operation, resource_type: ResourceType, name: str,
                  host: str = "") -> bool:
        """May `principal` (from `host`) do `operation` on the resource?"""
        if not self.enabled or principal in self.super_users:
            return True
        matching = [a for a in self.acls if a.matches_resource(resource_type, name)]
        if not matching:
            return self.allow_if_no_acl
        mine = [a for a in matching if a.principal in (principal, "User:*") and a.host in (host, WILDCARD)]
        if any(a.permission == Permission.DENY and a.operation in (operation, Operation.ALL) for a in mine):
            return False
        allowing = {operation, Operation.ALL} | _IMPLIED.get(operation, set())
        return any(a.permission == Permission.ALLOW and a.operation in allowing for a in mine)

    def authorize_any(self, principal: str, operation: Operation, resource_type: ResourceType, host: str = "") -> bool:
        """May `principal` do `operation` on some resource of the type (Kafka's
        authorizeByResourceType, KIP-679)? True when an ALLOW binding of the principal is not
        wholly covered by one of its DENY bindings (a DENY on the literal "*" covers everything)."""
        if not self.enabled or principal in self.super_users:
            return True
        of_type = [a for a in self.acls if a.resource_type == resource_type]
        if not of_type:
            return self.allow_if_no_acl
        mine = [a for a in of_type if a.principal in (principal, "User:*") and a.host in (host, WILDCARD)]
        denied = [a for a in mine if a.permission == Permission.DENY and a.operation in (operation, Operation.ALL)]
        if any(a.pattern_type == PatternType.LITERAL and a.resource_name == WILDCARD for a in denied):
            return False
        allowing = {operation, Operation.ALL} | _IMPLIED.get(operation, set())

        def covered(allow: AclBinding) -> bool:
            return any((d.pattern_type == PatternType.PREFIXED and allow.resource_name.startswith(d.resource_name))
                       or (allow.pattern_type == PatternType.LITERAL == d.pattern_type
                           and allow.resource_name == d.resource_name) for d in denied)
        return any(a.permission == Permission.ALLOW and a.operation in allowing and not covered(a) for a in mine)

    def allowed_operations(self, principal: str, resource_type: ResourceType, name: str) -> int:
        """The bitfield of operations authorize allows (Metadata's topic/cluster authorized operations)."""
        bits = 0
        for op in SUPPORTED[resource_type]:
            if self.authorize(principal, op, resource_type, name):
                bits |= 1 << op
        return bits

    # -- admin ---------------------------------------------------------------------------------
    def add(self, bindings: Iterable[AclBinding]) -> None:
        for acl in bindings:
            if acl not in self.acls:
                self.acls.append(acl)
        self.generation += 1
        self.save()

    def find(self, acl_filter: AclFilter) -> list[AclBinding]:
        return [a for a in self.acls if acl_filter.matches(a)]

    def remove(self, acl_filter: AclFilter) -> list[AclBinding]:
        gone = self.find(acl_filter)
        if gone:
            self.acls = [a for a in self.acls if a not in gone]
            self.generation += 1
            self.save()
        return gone
