"""What request handlers may use of the broker: a typed bundle of its services.

Handlers get a `BrokerServices` (through RequestContext.services), never the Broker itself: the
listener, the connections and the start/stop order stay the server's business, and the modules
form layers without a circle:

    config, files, protocol, storage  <-  coordinator, quotas, security  <-  services  <-  handlers  <-  server

(fetch_sessions, the fetch session cache, needs only protocol.)
"""
from __future__ import annotations

import dataclasses

from fastlog.config import Config
from fastlog.coordinator.groups import GroupCoordinator
from fastlog.coordinator.producer_ids import ProducerIdManager
from fastlog.coordinator.share_groups import ShareCoordinator
from fastlog.coordinator.transactions import TransactionCoordinator
from fastlog.fetch_sessions import FetchSessionCache
from fastlog.quotas import ClientQuotas
from fastlog.security.acl import Authorizer
from fastlog.security.scram import CredentialStore
from fastlog.storage.feature_levels import FeatureLevels
from fastlog.storage.log_manager import LogManager


@dataclasses.dataclass(frozen=True)
class BrokerServices:
    config: Config
    logs: LogManager
    groups: GroupCoordinator
    producer_ids: ProducerIdManager
    transactions: TransactionCoordinator
    # This node's identity and the address clients are told to connect to (advertised) on its
    # first listener; a handler answers the address of the request's own listener
    # (RequestContext.address).
    node_id: int
    host: str
    port: int
    # Client quotas: kept by the AlterClientQuotas handler, enforced by the connections.
    quotas: ClientQuotas
    scram: CredentialStore
    authorizer: Authorizer
    # Incremental fetch sessions (KIP-227), used by the Fetch handler.
    fetch_sessions: FetchSessionCache
    # Share groups (KIP-932): membership, share sessions, share-partition state.
    shares: ShareCoordinator
    # The finalized feature levels (ApiVersions, UpdateFeatures).
    features: FeatureLevels

    @property
    def cluster_id(self) -> str:
        return self.logs.cluster_id
