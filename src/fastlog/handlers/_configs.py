"""What the config APIs share: describing a topic's, the broker's (this node or the cluster
default '') or a group's configs from the config tables (DescribeConfigs and CreateTopics answer
with the same entries), and applying a new set of explicit configs to one of them through the
log manager (topic configs to the open logs, dynamic broker and group configs to
storage.dynamic_configs)."""
from __future__ import annotations

from typing import Any, Callable, Optional

from fastlog.config import (
    BROKER_KEYS,
    DYNAMIC_BROKER_KEYS,
    GROUP_KEYS,
    TOPIC_KEYS,
    Config,
    ConfigError,
    Key,
    Source,
    Type,
    to_text,
)
from fastlog.handlers.registry import RequestContext
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import (
    AlterConfigsResourceResponse,
    CreatableTopicConfigs,
    DescribeConfigsResourceResult,
    DescribeConfigsSynonym,
)
from fastlog.security.acl import CLUSTER_NAME, REFUSED_MESSAGES, Operation, ResourceType
from fastlog.services import BrokerServices
from fastlog.storage.dynamic_configs import min_isr_refusal
from fastlog.storage.log_manager import TopicError

TOPIC, BROKER, BROKER_LOGGER, GROUP = 2, 4, 8, 32  # ConfigResource types


def config_refusal(ctx: RequestContext, operation: Operation, rtype: int, name: str) -> Optional[tuple[int, str]]:
    """Kafka's (error, message) when the request's principal may not DESCRIBE_CONFIGS / ALTER_CONFIGS the config
    resource: checked on the topic, the group, or the cluster for a broker (ConfigHelper and
    ControllerApis.authorizeAlterResource); None when allowed or the type is one the handler refuses."""
    if rtype == TOPIC:
        target, error = (ResourceType.TOPIC, name), ErrorCode.TOPIC_AUTHORIZATION_FAILED
    elif rtype == GROUP:
        target, error = (ResourceType.GROUP, name), ErrorCode.GROUP_AUTHORIZATION_FAILED
    elif rtype in (BROKER, BROKER_LOGGER):
        target, error = (ResourceType.CLUSTER, CLUSTER_NAME), ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    else:
        return None
    if ctx.authorize(operation, target[0], target[1]):
        return None
    return error, REFUSED_MESSAGES[error]


def _entry(spec: Key, value: Any, chain: list[tuple[str, Any, Source]], read_only: bool,
           include_synonyms: bool, include_documentation: bool) -> DescribeConfigsResourceResult:
    """One DescribeConfigsResourceResult. Its source is the first synonym's (Kafka's rule), so a
    value taken from a broker key given in server.properties says STATIC_BROKER_CONFIG."""
    sensitive = spec.type == Type.PASSWORD
    synonyms: list[DescribeConfigsSynonym] = [
        {"name": name, "value": None if sensitive else to_text(_type_of(name, spec), v), "source": source}
        for name, v, source in chain]
    return {"name": spec.name, "value": None if sensitive else to_text(spec.type, value), "read_only": read_only,
            "config_source": chain[0][2] if chain else Source.DEFAULT_CONFIG, "is_sensitive": sensitive,
            "synonyms": synonyms if include_synonyms else [], "config_type": int(spec.type),
            "documentation": spec.doc if include_documentation else None}


def _type_of(name: str, spec: Key) -> Type:
    services = BROKER_KEYS.get(name)
    return services.type if services is not None and name != spec.name else spec.type


def topic_config_entries(config: Config, explicit: dict[str, str], include_synonyms: bool = False,
                         include_documentation: bool = False) -> list[DescribeConfigsResourceResult]:
    """Every topic config with the value the topic has: its own, else its broker key's, else
    Kafka's default. Topic configs are never read-only (AlterConfigs may set them)."""
    out: list[DescribeConfigsResourceResult] = []
    for name in sorted(TOPIC_KEYS):
        spec = TOPIC_KEYS[name]
        value = config.topic_value(name, explicit)
        chain = config.synonym_chain(spec.broker_key) if spec.broker_key else []
        if name in explicit:
            chain.insert(0, (name, value, Source.TOPIC_CONFIG))
        out.append(_entry(spec, value, chain, False, include_synonyms, include_documentation))
    return out


def broker_config_entries(config: Config, include_synonyms: bool = False,
                          include_documentation: bool = False) -> list[DescribeConfigsResourceResult]:
    """Every broker key with the value this node runs with; read-only unless Kafka and fastlog
    can change it at runtime (DYNAMIC_BROKER_KEYS)."""
    return [_entry(spec, config.running_value(name), config.synonym_chain(name), name not in DYNAMIC_BROKER_KEYS,
                   include_synonyms, include_documentation)
            for name, spec in sorted(BROKER_KEYS.items())]


def broker_default_entries(config: Config, include_synonyms: bool = False,
                           include_documentation: bool = False) -> list[DescribeConfigsResourceResult]:
    """The cluster default resource (broker name ''): only the dynamic default configs, each its
    own only synonym, as Kafka answers it."""
    source = Source.DYNAMIC_DEFAULT_BROKER_CONFIG
    return [_entry(BROKER_KEYS[name], value, [(name, value, source)], False, include_synonyms, include_documentation)
            for name, value in sorted(config.dynamic_values(source).items())]


def group_config_entries(explicit: dict[str, str], include_synonyms: bool = False,
                         include_documentation: bool = False) -> list[DescribeConfigsResourceResult]:
    """Every group config: the group's own (GROUP_CONFIG), else the default; never read-only."""
    out: list[DescribeConfigsResourceResult] = []
    for name, spec in sorted(GROUP_KEYS.items()):
        # Kafka 4.4: the group's own value, then the broker key it overrides with its default.
        chain: list[tuple[str, Any, Source]] = [(spec.broker_key or name, spec.default, Source.DEFAULT_CONFIG)]
        if name in explicit:
            chain.insert(0, (name, spec.check(explicit[name]), Source.GROUP_CONFIG))
        out.append(_entry(spec, chain[0][1], chain, False, include_synonyms, include_documentation))
    return out


def created_topic_configs(config: Config, explicit: dict[str, str]) -> list[CreatableTopicConfigs]:
    """CreateTopics v5+ answers with the same entries as DescribeConfigs, fewer fields."""
    return [{"name": e["name"], "value": e["value"], "read_only": e["read_only"],
             "config_source": e["config_source"], "is_sensitive": e["is_sensitive"]}
            for e in topic_config_entries(config, explicit)]


def broker_name_error(services: BrokerServices, name: str) -> str:
    """Why a broker resource name is not this broker nor the cluster default ('' if it is)."""
    if name in ("", str(services.node_id)):
        return ""
    return f"Unexpected broker id, expected {services.node_id}, but received {name}"


def current_configs(services: BrokerServices, rtype: int, name: str) -> dict[str, str]:
    """The explicit configs of a resource as text: a topic's own, a broker scope's dynamic ones,
    a group's own. TopicError for an unknown topic."""
    if rtype == TOPIC:
        topic = services.logs.get(name)
        if topic is None:
            raise TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Topic '{name}' does not exist.")
        return dict(topic.configs)
    if rtype == BROKER:
        return dict(services.logs.dynamic.broker[services.logs.dynamic.source_of(name)])
    return services.logs.dynamic.group(name)


def alter_resource(ctx: RequestContext, resource: dict, new_configs: Callable[[dict], dict],
                   validate_only: bool) -> AlterConfigsResourceResponse:
    """Answer one resource of an alter request; `new_configs(current)` returns the resource's new
    explicit configs (as text) or raises TopicError. A topic gets INVALID_CONFIG for a bad value,
    a broker INVALID_REQUEST, or INVALID_CONFIG for a min.insync.replicas rule (all as Kafka).
    ALTER_CONFIGS is checked first (config_refusal)."""
    rtype, name = resource["resource_type"], resource["resource_name"]
    out: AlterConfigsResourceResponse = {"error_code": 0, "error_message": None, "resource_type": rtype,
                                         "resource_name": name}
    refusal = config_refusal(ctx, Operation.ALTER_CONFIGS, rtype, name)
    if refusal is not None:
        out.update({"error_code": refusal[0], "error_message": refusal[1]})
        return out
    services = ctx.services
    try:
        if rtype == BROKER:
            if broker_name_error(services, name):
                raise TopicError(ErrorCode.INVALID_REQUEST, broker_name_error(services, name))
            current = current_configs(services, rtype, name)
            wanted = new_configs(dict(current))  # new_configs may change the dict it is given
            # Kafka's broker checks the values (INVALID_REQUEST) before its controller applies the
            # ELR rule (INVALID_CONFIG); alter_broker_configs checks them again for its other callers.
            try:
                Config.check_dynamic(wanted)
            except ConfigError as e:
                raise TopicError(ErrorCode.INVALID_REQUEST, str(e)) from None
            named = {c["name"] for c in resource.get("configs") or []}
            why = min_isr_refusal(services.logs.dynamic.source_of(name), named, wanted)
            if why is not None:
                raise TopicError(ErrorCode.INVALID_CONFIG, why)
            try:
                services.logs.alter_broker_configs(name, wanted, validate_only)
            except ConfigError as e:
                raise TopicError(ErrorCode.INVALID_REQUEST, str(e)) from None
        elif rtype == GROUP:
            wanted = new_configs(current_configs(services, rtype, name))
            try:
                services.logs.dynamic.alter_group(name, wanted, validate_only)
            except ConfigError as e:
                raise TopicError(ErrorCode.INVALID_CONFIG, str(e)) from None
        elif rtype == TOPIC:
            services.logs.alter_topic_configs(name, new_configs(current_configs(services, rtype, name)),
                                              validate_only)
        else:
            raise TopicError(ErrorCode.INVALID_REQUEST, f"Unsupported resource type {rtype}")
    except TopicError as e:
        out.update({"error_code": e.code, "error_message": e.message})
    return out
