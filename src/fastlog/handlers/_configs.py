"""What the config APIs share: describing a topic's or the broker's configs from the config
table (DescribeConfigs and CreateTopics answer with the same entries), and applying a new set of
topic configs through the log manager (which decides what may change on a live topic)."""
from __future__ import annotations

from typing import Any, Callable

from fastlog.config import BROKER_KEYS, TOPIC_KEYS, Config, Key, Source, Type, to_text
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import (
    AlterConfigsResourceResponse,
    CreatableTopicConfigs,
    DescribeConfigsResourceResult,
    DescribeConfigsSynonym,
)
from fastlog.services import BrokerServices
from fastlog.storage.log_manager import TopicError

TOPIC, BROKER = 2, 4


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
    """Every broker key with the value this node runs with; read-only, as fastlog changes no
    broker config at runtime."""
    return [_entry(spec, config.running_value(name), config.synonym_chain(name), not spec.dynamic,
                   include_synonyms, include_documentation)
            for name, spec in sorted(BROKER_KEYS.items())]


def created_topic_configs(config: Config, explicit: dict[str, str]) -> list[CreatableTopicConfigs]:
    """CreateTopics v5+ answers with the same entries as DescribeConfigs, fewer fields."""
    return [{"name": e["name"], "value": e["value"], "read_only": e["read_only"],
             "config_source": e["config_source"], "is_sensitive": e["is_sensitive"]}
            for e in topic_config_entries(config, explicit)]


def alter_resource(services: BrokerServices, resource: dict, new_configs: Callable[[dict], dict],
                   validate_only: bool) -> AlterConfigsResourceResponse:
    """Answer one resource of an alter request; `new_configs(current)` returns the topic's new
    explicit configs or raises TopicError."""
    rtype, name = resource["resource_type"], resource["resource_name"]
    out: AlterConfigsResourceResponse = {"error_code": 0, "error_message": None, "resource_type": rtype,
                                         "resource_name": name}
    if rtype == BROKER:
        out.update({"error_code": ErrorCode.INVALID_CONFIG,
                    "error_message": "fastlog does not change broker configs at runtime: "
                                     "set them in server.properties"})
    elif rtype != TOPIC:
        out.update({"error_code": ErrorCode.INVALID_REQUEST, "error_message": f"Unsupported resource type {rtype}"})
    else:
        topic = services.logs.get(name)
        try:
            if topic is None:
                raise TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Topic '{name}' does not exist.")
            services.logs.alter_topic_configs(name, new_configs(dict(topic.configs)), validate_only)
        except TopicError as e:
            out.update({"error_code": e.code, "error_message": e.message})
    return out
