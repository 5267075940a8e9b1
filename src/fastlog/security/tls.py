"""TLS for SSL and SASL_SSL listeners: the ssl.SSLContext built from Kafka's ssl.* keys, and the
principal of a client certificate (ssl.principal.mapping.rules).

Keystores: PEM (a file holding key and chain, or the inline ssl.keystore.key and
ssl.keystore.certificate.chain) and PKCS12 (read with the `cryptography` package, imported only
then). JKS is a Java format no well-kept Python library reads; convert it with keytool.
"""
from __future__ import annotations

import os
import re
import ssl
import tempfile
from typing import Any, Optional

from fastlog.config import Config, ConfigError

_VERSIONS = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


def server_context(config: Config, listener: str) -> ssl.SSLContext:
    """The TLS context of one listener; ConfigError names the missing or unreadable key."""
    def get(key: str) -> Any:
        return config.for_listener(listener, key)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    versions = sorted(_VERSIONS[v] for v in get("ssl.enabled.protocols"))
    if not versions:
        raise ConfigError("ssl.enabled.protocols: no protocol left")
    ctx.minimum_version, ctx.maximum_version = versions[0], versions[-1]
    if get("ssl.cipher.suites"):
        ctx.set_ciphers(":".join(get("ssl.cipher.suites")))
    _load_keystore(ctx, get)
    _load_truststore(ctx, get)
    ctx.verify_mode = {"none": ssl.CERT_NONE, "requested": ssl.CERT_OPTIONAL,
                       "required": ssl.CERT_REQUIRED}[get("ssl.client.auth")]
    if ctx.verify_mode != ssl.CERT_NONE and not ctx.cert_store_stats()["x509_ca"]:
        raise ConfigError(f"listener {listener}: ssl.client.auth={get('ssl.client.auth')} needs a truststore "
                          "(ssl.truststore.location or ssl.truststore.certificates)")
    return ctx


def _load_keystore(ctx: ssl.SSLContext, get) -> None:
    kind, location = get("ssl.keystore.type"), get("ssl.keystore.location")
    chain, key = get("ssl.keystore.certificate.chain"), get("ssl.keystore.key")
    if chain or key:
        if kind != "PEM" or not (chain and key):
            raise ConfigError("ssl.keystore.certificate.chain and ssl.keystore.key go together, "
                              "with ssl.keystore.type=PEM")
        _load_pem_text(ctx, chain, key, get("ssl.key.password"))
        return
    if not location:
        raise ConfigError("a TLS listener needs ssl.keystore.location "
                          "(or ssl.keystore.certificate.chain + ssl.keystore.key)")
    try:
        if kind == "PKCS12":
            key_pem, chain_pem, _ = _read_pkcs12(location, get("ssl.keystore.password"))
            _load_pem_text(ctx, chain_pem, key_pem, None)
        elif kind == "PEM":
            ctx.load_cert_chain(location, password=get("ssl.key.password"))
        else:
            raise ConfigError("ssl.keystore.type=JKS is not read by fastlog: use PEM or PKCS12 "
                              "(keytool -importkeystore -deststoretype PKCS12)")
    except (OSError, ssl.SSLError, ValueError) as e:
        raise ConfigError(f"ssl.keystore.location {location}: {e}") from None


def _load_truststore(ctx: ssl.SSLContext, get) -> None:
    kind, location, inline = get("ssl.truststore.type"), get("ssl.truststore.location"), \
        get("ssl.truststore.certificates")
    try:
        if inline:
            ctx.load_verify_locations(cadata=inline)
        elif location and kind == "PKCS12":
            _, _, cas = _read_pkcs12(location, get("ssl.truststore.password"))
            ctx.load_verify_locations(cadata=cas)
        elif location and kind == "PEM":
            ctx.load_verify_locations(cafile=location)
        elif location:
            raise ConfigError("ssl.truststore.type=JKS is not read by fastlog: use PEM or PKCS12")
    except (OSError, ssl.SSLError, ValueError) as e:
        raise ConfigError(f"ssl.truststore: {e}") from None


def _load_pem_text(ctx: ssl.SSLContext, chain: str, key: str, password: Optional[str]) -> None:
    """load_cert_chain reads files only: hand it the PEM text through a private temporary file."""
    with tempfile.TemporaryDirectory(prefix="fastlog-tls-") as folder:
        path = os.path.join(folder, "keystore.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key.strip() + "\n" + chain.strip() + "\n")
        ctx.load_cert_chain(path, password=password)


def _read_pkcs12(location: str, password: Optional[str]) -> tuple[str, str, str]:
    """(key PEM, certificate chain PEM, CA certificates PEM) of a PKCS12 file."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.serialization import pkcs12
    except ImportError:
        raise ConfigError("PKCS12 keystores need the `cryptography` package (pip install cryptography)") from None
    with open(location, "rb") as f:
        data = f.read()
    key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode() if password else None)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode() if key else ""
    chain = [c.public_bytes(serialization.Encoding.PEM).decode() for c in ([cert] if cert else []) + list(extra)]
    cas = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in (extra or ([cert] if cert else [])))
    return key_pem, "".join(chain), cas


# -- the principal of a client certificate ------------------------------------------------------
_ATTRIBUTE_NAMES = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU",
                    "countryName": "C", "stateOrProvinceName": "ST", "localityName": "L",
                    "streetAddress": "STREET", "domainComponent": "DC", "userId": "UID"}


def subject_name(peercert: dict) -> str:
    """The certificate subject as Java's X500Principal.getName() writes it (RFC 2253): the most
    specific part first, "CN=alice,OU=dev,O=example,C=US"."""
    parts = []
    for rdn in reversed(peercert.get("subject", ())):
        parts.append("+".join(f"{_ATTRIBUTE_NAMES.get(k, k)}={_escape(v)}" for k, v in rdn))
    return ",".join(parts)


def _escape(value: str) -> str:
    out = re.sub(r'([,+"\\<>;=])', r"\\\1", value)
    if out.startswith((" ", "#")):
        out = "\\" + out
    if out.endswith(" "):
        out = out[:-1] + "\\ "
    return out


# Kafka's SslPrincipalMapper grammar: DEFAULT, or RULE:pattern/replacement/ with an optional L or U.
_RULE = re.compile(r"\s*((DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU])?)\s*(,|$)")


def parse_mapping_rules(text: str) -> list[Optional[tuple[re.Pattern, str, str]]]:
    """ssl.principal.mapping.rules -> rules in order; None stands for DEFAULT."""
    rules: list[Optional[tuple[re.Pattern, str, str]]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _RULE.match(text, pos)
        if not m or m.end() == pos:
            raise ConfigError(f"ssl.principal.mapping.rules: cannot parse {text[pos:]!r}")
        if m.group(2):
            rules.append(None)
        else:
            replacement = re.sub(r"\$(\d)", r"\\\1", m.group(5).replace("\\/", "/"))
            rules.append((re.compile(m.group(3).replace("\\/", "/")), replacement, m.group(7) or ""))
        pos = m.end()
    return rules or [None]


def map_principal(subject: str, rules: list[Optional[tuple[re.Pattern, str, str]]]) -> str:
    """The user name of a certificate subject: the first rule whose pattern matches (Kafka's
    order), DEFAULT being the subject itself."""
    for rule in rules:
        if rule is None:
            return subject
        pattern, replacement, case = rule
        if pattern.fullmatch(subject):
            name = pattern.sub(replacement, subject)
            return name.lower() if case == "L" else name.upper() if case == "U" else name
    return subject
