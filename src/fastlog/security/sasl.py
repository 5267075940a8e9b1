"""SASL on SASL_PLAINTEXT and SASL_SSL listeners: the state of one connection's authentication.

Kafka's flow: SaslHandshake names a mechanism, then SaslAuthenticate requests carry its tokens
until the mechanism is done. Until then only ApiVersions and these two are served; a failure
answers SASL_AUTHENTICATION_FAILED and closes the connection. With connections.max.reauth.ms the
session has a lifetime (KIP-368): the client re-authenticates on the same connection before it
ends, with the same mechanism and as the same user, or the connection is closed.
"""
from __future__ import annotations

import hmac
import logging
import re
from typing import Optional

from fastlog.config import Config, ConfigError
from fastlog.security.scram import MECHANISMS as SCRAM_MECHANISMS
from fastlog.security.scram import CredentialStore, ScramFailure, ScramServer

log = logging.getLogger("fastlog.sasl")
# One message for every failure, so a client cannot tell an unknown user from a wrong password.
FAILED = "Authentication failed: invalid credentials with SASL mechanism {}"
_JAAS_OPTION = re.compile(r'(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"')


def plain_users(jaas: Optional[str]) -> dict[str, str]:
    """user -> password from a PlainLoginModule jaas config (its user_NAME="password" options)."""
    if not jaas:
        return {}
    return {key[len("user_"):]: value for key, value in _JAAS_OPTION.findall(jaas) if key.startswith("user_")}


class SaslListener:
    """What one SASL listener offers: its mechanisms, PLAIN users, the SCRAM store, the reauth limit."""

    def __init__(self, config: Config, listener: str, scram_store: CredentialStore) -> None:
        self.mechanisms = [m for m in config.for_listener(listener, "sasl.enabled.mechanisms") if m != "GSSAPI"]
        self.plain = plain_users(config.for_listener(listener, "plain.sasl.jaas.config"))
        self.scram_store = scram_store
        self.reauth_ms = config.for_listener(listener, "connections.max.reauth.ms")
        if not self.mechanisms:
            raise ConfigError(f"listener {listener}: sasl.enabled.mechanisms offers no mechanism fastlog serves "
                              "(PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)")
        if "PLAIN" in self.mechanisms and not self.plain:
            log.warning("listener %s offers PLAIN but plain.sasl.jaas.config names no user_NAME", listener)


class SaslSession:
    """One connection's authentication state; the SASL handlers drive it."""

    def __init__(self, listener: SaslListener) -> None:
        self.listener = listener
        self.mechanism: Optional[str] = None      # chosen by the last SaslHandshake
        self.raw_tokens = False                   # SaslHandshake v0: tokens come unframed
        self.user: Optional[str] = None           # authenticated user
        self.expires_at: Optional[float] = None   # loop time the session ends (reauth), None: never
        self._scram: Optional[ScramServer] = None

    @property
    def authenticated(self) -> bool:
        return self.user is not None

    def handshake(self, mechanism: str) -> bool:
        """Pick a mechanism; False if this listener does not offer it (or, on re-authentication,
        it differs from the first one, which Kafka refuses too)."""
        if mechanism not in self.listener.mechanisms:
            return False
        if self.user is not None and mechanism != self.mechanism:
            return False
        self.mechanism = mechanism
        self._scram = ScramServer(mechanism, self.listener.scram_store) if mechanism in SCRAM_MECHANISMS else None
        self._pending_user: Optional[str] = None
        return True

    def authenticate(self, token: bytes) -> tuple[bytes, bool]:
        """Feed one token; (reply, finished). AuthenticationFailed on any failure."""
        if self.mechanism is None:
            raise AuthenticationFailed("SaslAuthenticate before SaslHandshake")
        if self.mechanism == "PLAIN":
            return b"", self._finish(self._plain(token))
        assert self._scram is not None
        try:
            reply = self._scram.step(token)
        except ScramFailure:
            raise AuthenticationFailed(FAILED.format(self.mechanism)) from None
        if not self._scram.done:
            return reply, False
        assert self._scram.user is not None
        self._finish(self._scram.user)
        return reply, True

    def _plain(self, token: bytes) -> str:
        parts = token.split(b"\0")
        if len(parts) != 3:
            raise AuthenticationFailed(FAILED.format("PLAIN"))
        authzid, user, password = (p.decode("utf-8", "replace") for p in parts)
        expected = self.listener.plain.get(user)
        # compare against something even for an unknown user, so both take the same path
        ok = hmac.compare_digest((expected or "\0unknown").encode(), password.encode()) and expected is not None
        if not ok or (authzid and authzid != user):
            raise AuthenticationFailed(FAILED.format("PLAIN"))
        return user

    def _finish(self, user: str) -> bool:
        if self.user is not None and user != self.user:
            raise AuthenticationFailed("re-authentication must be as the same user")
        self.user = user
        return True


class AuthenticationFailed(Exception):
    pass
