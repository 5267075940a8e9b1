"""The security building blocks without a broker: SCRAM against RFC 7677's example, the ACL
decisions (implications, DENY, patterns, super users), principal mapping and PLAIN users."""
from __future__ import annotations

import base64

import pytest

from fastlog.config import Config, ConfigError
from fastlog.security import scram, tls
from fastlog.security.acl import AclBinding, AclFilter, Authorizer, Operation, PatternType, Permission, ResourceType
from fastlog.security.sasl import AuthenticationFailed, SaslListener, SaslSession, plain_users


def test_scram_sha256_matches_rfc7677_example(tmp_path, monkeypatch):
    store = scram.CredentialStore(str(tmp_path))
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    store.set("user", "SCRAM-SHA-256", scram.credential_from_password("SCRAM-SHA-256", "pencil", 4096, salt))
    monkeypatch.setattr(scram.secrets, "token_urlsafe", lambda n: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
    server = scram.ScramServer("SCRAM-SHA-256", store)
    first = server.step(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
    assert first == b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    final = server.step(b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                        b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    assert final == b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    # the same exchange with a wrong proof, a repeated client nonce, or an unknown user fails alike
    for user, proof_nonce in [("user", "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"),
                              ("user", "rOprNGfwEbeRWgbNEkqOrOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"),
                              ("nobody", "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")]:
        other = scram.ScramServer("SCRAM-SHA-256", store)
        other.step(f"n,,n={user},r=rOprNGfwEbeRWgbNEkqO".encode())
        with pytest.raises(scram.ScramFailure):
            other.step(f"c=biws,r={proof_nonce},p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".encode())


def test_credentials_are_durable_and_hold_no_password(tmp_path):
    store = scram.CredentialStore(str(tmp_path))
    assert store.bootstrap("SCRAM-SHA-512=[name=admin,password=s3cret];SCRAM-SHA-256=[name=bob,password=b]") == \
        ["admin (SCRAM-SHA-512)", "bob (SCRAM-SHA-256)"]
    assert store.bootstrap("SCRAM-SHA-512=[name=admin,password=changed]") == []  # existing users are kept
    text = (tmp_path / scram.STORE_FILE).read_text()
    assert "s3cret" not in text
    again = scram.CredentialStore(str(tmp_path))
    assert again.get("admin", "SCRAM-SHA-512") == store.get("admin", "SCRAM-SHA-512")
    with pytest.raises(ConfigError):
        scram.parse_add_scram("SCRAM-SHA-1=[name=a,password=b]")
    with pytest.raises(ConfigError):
        scram.parse_add_scram("SCRAM-SHA-256=[name=a,password=b,iterations=10]")


def test_plain_sessions_refuse_unknown_users_and_wrong_passwords_alike(tmp_path):
    config = Config({"sasl.enabled.mechanisms": "PLAIN", "plain.sasl.jaas.config":
                     'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="a-pw";'})
    listener = SaslListener(config, "SASL_PLAINTEXT", scram.CredentialStore(str(tmp_path)))
    messages = []
    for token in (b"\0alice\0wrong", b"\0nobody\0a-pw", b"garbage"):
        session = SaslSession(listener)
        assert session.handshake("PLAIN")
        with pytest.raises(AuthenticationFailed) as failed:
            session.authenticate(token)
        messages.append(str(failed.value))
    assert len(set(messages)) == 1
    session = SaslSession(listener)
    assert not session.handshake("SCRAM-SHA-256")  # not enabled on this listener
    assert session.handshake("PLAIN") and session.authenticate(b"\0alice\0a-pw") == (b"", True)
    assert session.user == "alice"
    assert plain_users('x required username="admin" password="p" user_admin="p" user_b="q\\"x";') == \
        {"admin": "p", "b": 'q\\"x'}


def _authorizer(tmp_path, **settings) -> Authorizer:
    values = {"authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer"}
    values.update(settings)
    return Authorizer(Config(values), str(tmp_path))


def _acl(name, op, permission=Permission.ALLOW, principal="User:alice", pattern=PatternType.LITERAL,
         rtype=ResourceType.TOPIC):
    return AclBinding(rtype, name, pattern, principal, "*", op, permission)


def test_acl_decisions(tmp_path):
    authorizer = _authorizer(tmp_path, **{"super.users": "User:admin"})
    authorizer.add([_acl("orders", Operation.READ), _acl("logs-", Operation.WRITE, pattern=PatternType.PREFIXED),
                    _acl("*", Operation.DESCRIBE, principal="User:*"),
                    _acl("secret", Operation.ALL, principal="User:alice"),
                    _acl("secret", Operation.READ, Permission.DENY, principal="User:alice")])
    allow = authorizer.authorize
    assert allow("User:alice", Operation.READ, ResourceType.TOPIC, "orders")
    assert allow("User:alice", Operation.DESCRIBE, ResourceType.TOPIC, "orders")   # READ implies DESCRIBE
    assert not allow("User:alice", Operation.WRITE, ResourceType.TOPIC, "orders")
    assert allow("User:alice", Operation.WRITE, ResourceType.TOPIC, "logs-app")     # prefixed
    assert not allow("User:alice", Operation.WRITE, ResourceType.TOPIC, "log")
    assert allow("User:bob", Operation.DESCRIBE, ResourceType.TOPIC, "anything")    # wildcard name and user
    assert not allow("User:bob", Operation.READ, ResourceType.TOPIC, "anything")
    assert allow("User:alice", Operation.WRITE, ResourceType.TOPIC, "secret")      # ALL
    assert not allow("User:alice", Operation.READ, ResourceType.TOPIC, "secret")   # DENY wins
    assert not allow("User:alice", Operation.READ, ResourceType.GROUP, "g")        # no ACL: denied
    assert allow("User:admin", Operation.DELETE, ResourceType.CLUSTER, "kafka-cluster")  # super user
    again = _authorizer(tmp_path)
    assert len(again.acls) == 5  # stored durably
    assert len(again.find(AclFilter(ResourceType.TOPIC, "logs-app", PatternType.MATCH, None, None,
                                    Operation.ANY, Permission.ANY))) == 2  # the prefix and the wildcard
    gone = again.remove(AclFilter(ResourceType.ANY, None, PatternType.ANY, "User:alice", None, Operation.ANY,
                                  Permission.DENY))
    assert [a.permission for a in gone] == [Permission.DENY]
    assert _authorizer(tmp_path / "other", **{"allow.everyone.if.no.acl.found": "true"}).authorize(
        "User:bob", Operation.READ, ResourceType.GROUP, "g")
    with pytest.raises(ConfigError):
        _authorizer(tmp_path, **{"authorizer.class.name": "com.example.Other"})


def test_authorize_any_resource_of_a_type(tmp_path):
    """Kafka's authorizeByResourceType (an idempotent producer needs WRITE on some topic): an
    ALLOW counts unless a DENY covers it (same literal, a prefix of it, or the literal "*")."""
    authorizer = _authorizer(tmp_path)
    authorizer.add([_acl("orders", Operation.WRITE), _acl("logs-", Operation.WRITE, pattern=PatternType.PREFIXED),
                    _acl("orders", Operation.WRITE, Permission.DENY),
                    _acl("events", Operation.READ, principal="User:carol")])
    any_write = authorizer.authorize_any
    assert any_write("User:alice", Operation.WRITE, ResourceType.TOPIC)       # logs- is not denied
    assert not any_write("User:carol", Operation.WRITE, ResourceType.TOPIC)   # READ only
    assert not any_write("User:alice", Operation.WRITE, ResourceType.GROUP)
    authorizer.add([_acl("log", Operation.WRITE, Permission.DENY, pattern=PatternType.PREFIXED)])
    assert not any_write("User:alice", Operation.WRITE, ResourceType.TOPIC)   # every ALLOW is covered
    authorizer.add([_acl("metrics", Operation.ALL)])
    assert any_write("User:alice", Operation.WRITE, ResourceType.TOPIC)
    authorizer.add([_acl("*", Operation.WRITE, Permission.DENY)])
    assert not any_write("User:alice", Operation.WRITE, ResourceType.TOPIC)


def test_principal_mapping_rules():
    rules = tls.parse_mapping_rules("RULE:^CN=(.*?),OU=ServiceUsers,.*$/$1/L,RULE:^CN=([^,]*),.*$/$1/U,DEFAULT")
    assert tls.map_principal("CN=Alice,OU=ServiceUsers,O=x,C=US", rules) == "alice"
    assert tls.map_principal("CN=bob,O=x,C=US", rules) == "BOB"
    assert tls.map_principal("O=x,C=US", rules) == "O=x,C=US"
    subject = {"subject": ((("countryName", "US"),), (("organizationName", "Ex, Inc"),), (("commonName", "al"),))}
    assert tls.subject_name(subject) == "CN=al,O=Ex\\, Inc,C=US"
    with pytest.raises(ConfigError):
        tls.parse_mapping_rules("RULE:broken")


def test_a_sasl_listener_needs_a_mechanism_fastlog_serves(tmp_path):
    with pytest.raises(ConfigError, match="sasl.enabled.mechanisms"):
        SaslListener(Config({}), "SASL_PLAINTEXT", scram.CredentialStore(str(tmp_path)))  # Kafka's default: GSSAPI
