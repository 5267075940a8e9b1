"""SCRAM-SHA-256/512 (RFC 5802, RFC 7677) as Kafka serves it: the credential math, the durable
credential store, and the server side of one exchange.

Only salted credentials are stored (salt, iterations, StoredKey, ServerKey), never a password.
The store is one JSON file in the data folder, replaced atomically on every change.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from typing import Optional

from fastlog.config import ConfigError
from fastlog.files import atomic_write

MECHANISMS = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}
# DescribeUserScramCredentials / AlterUserScramCredentials number the mechanisms.
MECHANISM_IDS = {1: "SCRAM-SHA-256", 2: "SCRAM-SHA-512"}
MECHANISM_NUMBERS = {name: number for number, name in MECHANISM_IDS.items()}
MIN_ITERATIONS = 4096   # Kafka's ScramMechanism bounds
MAX_ITERATIONS = 16384
DEFAULT_ITERATIONS = 4096
STORE_FILE = "scram-credentials.json"


@dataclasses.dataclass(frozen=True)
class Credential:
    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes


def _hmac(algorithm: str, key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, algorithm).digest()


def credential_from_salted(mechanism: str, salt: bytes, iterations: int, salted_password: bytes) -> Credential:
    algorithm = MECHANISMS[mechanism]
    client_key = _hmac(algorithm, salted_password, b"Client Key")
    return Credential(salt, iterations, hashlib.new(algorithm, client_key).digest(),
                      _hmac(algorithm, salted_password, b"Server Key"))


def credential_from_password(mechanism: str, password: str, iterations: int = DEFAULT_ITERATIONS,
                             salt: Optional[bytes] = None) -> Credential:
    salt = salt or secrets.token_bytes(32)
    salted = hashlib.pbkdf2_hmac(MECHANISMS[mechanism], password.encode(), salt, iterations)
    return credential_from_salted(mechanism, salt, iterations, salted)


class CredentialStore:
    """user -> mechanism -> Credential, kept in data_dir/scram-credentials.json."""

    def __init__(self, data_dir: str) -> None:
        self.path = os.path.join(data_dir, STORE_FILE)
        self._lock = threading.Lock()
        self.users: dict[str, dict[str, Credential]] = {}
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as f:
                raw = json.load(f)
            for user, mechs in raw.items():
                self.users[user] = {m: Credential(base64.b64decode(c["salt"]), c["iterations"],
                                                  base64.b64decode(c["stored_key"]), base64.b64decode(c["server_key"]))
                                    for m, c in mechs.items()}

    def get(self, user: str, mechanism: str) -> Optional[Credential]:
        return self.users.get(user, {}).get(mechanism)

    def set(self, user: str, mechanism: str, credential: Credential) -> None:
        self.users.setdefault(user, {})[mechanism] = credential

    def delete(self, user: str, mechanism: str) -> bool:
        mechs = self.users.get(user, {})
        found = mechs.pop(mechanism, None) is not None
        if not mechs:
            self.users.pop(user, None)
        return found

    def save(self) -> None:
        raw = {user: {m: {"salt": base64.b64encode(c.salt).decode(), "iterations": c.iterations,
                          "stored_key": base64.b64encode(c.stored_key).decode(),
                          "server_key": base64.b64encode(c.server_key).decode()} for m, c in mechs.items()}
               for user, mechs in self.users.items()}
        with self._lock:
            atomic_write(self.path, json.dumps(raw, indent=1, sort_keys=True))

    def bootstrap(self, spec: Optional[str]) -> list[str]:
        """Create the users of scram.bootstrap.users that have no credential for the mechanism yet
        (kafka-storage format --add-scram syntax: MECH=[name=u,password=p,iterations=n];...).
        Returns 'user (mechanism)' for each one created."""
        created = []
        for mechanism, fields in parse_add_scram(spec or ""):
            name = fields["name"]
            if self.get(name, mechanism) is None:
                iterations = int(fields.get("iterations", DEFAULT_ITERATIONS))
                salt = base64.b64decode(fields["salt"]) if "salt" in fields else None
                self.set(name, mechanism, credential_from_password(mechanism, fields["password"], iterations, salt))
                created.append(f"{name} ({mechanism})")
        if created:
            self.save()
        return created


_ADD_SCRAM = re.compile(r"\s*(SCRAM-SHA-256|SCRAM-SHA-512)\s*=\s*\[([^\]]*)\]\s*")


def parse_add_scram(text: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        m = _ADD_SCRAM.fullmatch(item)
        if not m:
            raise ConfigError(f"scram.bootstrap.users: expected SCRAM-SHA-512=[name=...,password=...], got {item!r}")
        fields = {}
        for pair in m.group(2).split(","):
            key, _, value = pair.partition("=")
            fields[key.strip()] = value.strip().strip('"')
        if "name" not in fields or "password" not in fields:
            raise ConfigError(f"scram.bootstrap.users: {item!r} needs name= and password=")
        iterations = int(fields.get("iterations", DEFAULT_ITERATIONS))
        if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
            raise ConfigError(f"scram.bootstrap.users: iterations must be {MIN_ITERATIONS}..{MAX_ITERATIONS}")
        out.append((m.group(1), fields))
    return out


class ScramFailure(Exception):
    """The exchange failed; the message is the same whatever the reason (no user, bad proof)."""


class ScramServer:
    """One SCRAM exchange: client-first -> server-first, client-final -> server-final."""

    def __init__(self, mechanism: str, store: CredentialStore) -> None:
        self.mechanism = mechanism
        self.algorithm = MECHANISMS[mechanism]
        self.store = store
        self.user: Optional[str] = None
        self.credential: Optional[Credential] = None
        self.client_first_bare = ""
        self.server_first = ""
        self.nonce = ""
        self.done = False

    def step(self, token: bytes) -> bytes:
        if self.user is None:
            return self._first(token)
        return self._final(token)

    def _first(self, token: bytes) -> bytes:
        text = _text(token)
        m = re.fullmatch(r"([ny]|p=[^,]*),(a=[^,]*)?,(.*)", text, re.S)
        if not m or m.group(1).startswith("p="):
            raise ScramFailure("invalid client-first message")
        self.client_first_bare = m.group(3)
        fields = _fields(self.client_first_bare)
        if "n" not in fields or "r" not in fields:
            raise ScramFailure("invalid client-first message")
        self.user = fields["n"].replace("=2C", ",").replace("=3D", "=")
        credential = self.store.get(self.user, self.mechanism)
        if credential is None:
            # An unknown user gets a made-up but stable salt, so the exchange looks the same until
            # its last step fails with the same message as a wrong password.
            fake_salt = hashlib.sha256(b"fastlog-unknown-user:" + self.user.encode()).digest()
            self.credential = Credential(fake_salt, DEFAULT_ITERATIONS, b"", b"")
        else:
            self.credential = credential
        self.nonce = fields["r"] + secrets.token_urlsafe(24)
        self.server_first = (f"r={self.nonce},s={base64.b64encode(self.credential.salt).decode()},"
                             f"i={self.credential.iterations}")
        return self.server_first.encode()

    def _final(self, token: bytes) -> bytes:
        if self.done or self.credential is None:
            raise ScramFailure("unexpected SCRAM message")
        text = _text(token)
        without_proof, sep, proof_b64 = text.rpartition(",p=")
        fields = _fields(without_proof)
        # The nonce must be exactly the server's (RFC 5802, and Kafka 4 since CVE-2024-56128):
        # librdkafka before 2.6.1 repeats the client nonce and is refused, by Kafka 4 too.
        if not sep or fields.get("r") != self.nonce:
            raise ScramFailure("invalid client-final message")
        auth_message = f"{self.client_first_bare},{self.server_first},{without_proof}".encode()
        cred = self.credential
        try:
            proof = base64.b64decode(proof_b64, validate=True)
        except ValueError:
            raise ScramFailure("invalid client proof") from None
        signature = _hmac(self.algorithm, cred.stored_key, auth_message) if cred.stored_key else b""
        if not cred.stored_key or len(proof) != len(signature):
            raise ScramFailure("invalid credentials")
        client_key = bytes(a ^ b for a, b in zip(proof, signature))
        if not hmac.compare_digest(hashlib.new(self.algorithm, client_key).digest(), cred.stored_key):
            raise ScramFailure("invalid credentials")
        self.done = True
        return b"v=" + base64.b64encode(_hmac(self.algorithm, cred.server_key, auth_message))


def _text(token: bytes) -> str:
    try:
        return token.decode("utf-8")
    except UnicodeDecodeError:
        raise ScramFailure("SCRAM messages are UTF-8") from None


def _fields(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if sep and len(key) == 1:
            out.setdefault(key, value)
    return out
