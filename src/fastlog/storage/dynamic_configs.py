"""Configs set at runtime besides a topic's own: dynamic broker configs (this broker's and the
cluster default, Kafka's DYNAMIC_BROKER_CONFIG / DYNAMIC_DEFAULT_BROKER_CONFIG) and group configs
(resource type GROUP). Kafka keeps them in its metadata log; fastlog keeps them in the data
folder, in `fastlog-dynamic-configs.json` (written whole: tmp file, fsync, rename):

    {"broker": {key: value}, "broker_default": {key: value}, "groups": {group: {key: value}}}

Values are kept as text, as given; the typed broker values live in fastlog.config.Config.
`broker_default` holds `min.insync.replicas` once anything was written (see MIN_ISR).
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Optional

from fastlog.config import Config, Source, group_value, validate_group_configs
from fastlog.files import atomic_write

log = logging.getLogger("fastlog.storage")

FILE = "fastlog-dynamic-configs.json"
# Eligible leader replicas (KIP-966) are on, as on a new Kafka 4.4 cluster
# (handlers/_features.py). Kafka's controller then keeps min.insync.replicas at the cluster level
# only: it writes one from the static value when the cluster starts, and refuses to remove it or
# to set one per broker. For one node the eligible replicas themselves are always empty.
MIN_ISR = "min.insync.replicas"


def min_isr_refusal(source: Source, named: set[str], wanted: dict[str, str]) -> Optional[str]:
    """Why Kafka's controller refuses an alter request that names the keys `named` and would leave
    a scope's dynamic configs at `wanted`, while ELR is on (INVALID_CONFIG), or None. Applied to
    clients' requests only: naming min.insync.replicas for a broker at all (even to delete it) is
    refused, and so is a cluster default without it."""
    if source is Source.DYNAMIC_BROKER_CONFIG and MIN_ISR in named:
        return "Broker-level min.insync.replicas cannot be altered while ELR is enabled."
    if source is Source.DYNAMIC_DEFAULT_BROKER_CONFIG and MIN_ISR not in wanted:
        return "Cluster-level min.insync.replicas cannot be removed while ELR is enabled."
    return None


class DynamicConfigs:
    def __init__(self, config: Config, data_dir: str) -> None:
        self.config = config
        self.path = os.path.join(data_dir, FILE)
        # Source.DYNAMIC_BROKER_CONFIG / DYNAMIC_DEFAULT_BROKER_CONFIG -> {key: text}
        self.broker: dict[Source, dict[str, str]] = {Source.DYNAMIC_BROKER_CONFIG: {},
                                                     Source.DYNAMIC_DEFAULT_BROKER_CONFIG: {}}
        self.groups: dict[str, dict[str, str]] = {}

    def load(self) -> None:
        """Read the file (if any) and install the broker values in the Config. A value this
        version refuses is dropped with a warning rather than stopping the broker."""
        if not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8") as f:
            saved = json.load(f)
        for source, name in ((Source.DYNAMIC_BROKER_CONFIG, "broker"),
                             (Source.DYNAMIC_DEFAULT_BROKER_CONFIG, "broker_default")):
            values = {str(k): str(v) for k, v in saved.get(name, {}).items()}
            for key, text in list(values.items()):
                try:
                    Config.check_dynamic({key: text})
                except ValueError as e:
                    log.warning("dynamic broker config %s=%s dropped: %s", key, text, e)
                    del values[key]
            self.config.set_dynamic(source, values)
            self.broker[source] = values
        self.groups = {str(g): {str(k): str(v) for k, v in c.items()} for g, c in saved.get("groups", {}).items()}

    def keep_min_isr_at_cluster_level(self) -> None:
        """At start (after load): the cluster-level min.insync.replicas Kafka's controller
        generates, from the static value, if there is none; a broker-level one (kept by an older
        fastlog) goes, as Kafka's controller removes them. The generated value is written with
        the next change of the file, not now: a fresh start stays without an fsync (~30 ms here),
        and until then each start generates it again from the static value."""
        own = self.broker[Source.DYNAMIC_BROKER_CONFIG]
        if MIN_ISR in own:
            log.info("removing broker-level %s=%s: eligible leader replicas keep it at the cluster level",
                     MIN_ISR, own[MIN_ISR])
            own = {k: v for k, v in own.items() if k != MIN_ISR}
            self.config.set_dynamic(Source.DYNAMIC_BROKER_CONFIG, own)
            self.broker[Source.DYNAMIC_BROKER_CONFIG] = own
            self._save()
        cluster = self.broker[Source.DYNAMIC_DEFAULT_BROKER_CONFIG]
        if MIN_ISR not in cluster:
            cluster = {**cluster, MIN_ISR: str(self.config.get_int(MIN_ISR))}
            self.config.set_dynamic(Source.DYNAMIC_DEFAULT_BROKER_CONFIG, cluster)
            self.broker[Source.DYNAMIC_DEFAULT_BROKER_CONFIG] = cluster

    def _save(self) -> None:
        atomic_write(self.path, json.dumps({
            "broker": self.broker[Source.DYNAMIC_BROKER_CONFIG],
            "broker_default": self.broker[Source.DYNAMIC_DEFAULT_BROKER_CONFIG],
            "groups": {g: c for g, c in self.groups.items() if c}}, indent=1, sort_keys=True))

    def alter_broker(self, source: Source, values: dict[str, str], validate_only: bool = False) -> None:
        """Replace one scope's dynamic broker configs; ConfigError (Kafka's words) changes nothing."""
        Config.check_dynamic(values)
        if validate_only:
            return
        self.config.set_dynamic(source, values)
        self.broker[source] = dict(values)
        self._save()
        log.info("dynamic broker configs (%s) now %s", source.name, values)

    def group(self, name: str) -> dict[str, str]:
        return dict(self.groups.get(name, {}))

    def group_setting(self, name: str, key: str) -> Any:
        """Group key `key` as group `name` has it now: its own value (within the broker's current
        bounds), else the broker's. Read at each use, so that a change applies at once."""
        return group_value(self.config, self.groups.get(name, {}), key)

    def alter_group(self, name: str, values: dict[str, str], validate_only: bool = False) -> None:
        validate_group_configs(self.config, values)
        if validate_only:
            return
        self.groups[name] = dict(values)
        self._save()
        log.info("group %s configs now %s", name, values)

    def source_of(self, resource_name: Optional[str]) -> Source:
        """The scope a broker resource names: '' is the cluster default, an id this broker."""
        return Source.DYNAMIC_DEFAULT_BROKER_CONFIG if not resource_name else Source.DYNAMIC_BROKER_CONFIG
