"""Listeners, TLS, SASL and ACLs (docs/security.md) driven by real clients over real sockets:
confluent-kafka (librdkafka), kafka-python, aiokafka, kcat, franz-go and the Java tools."""
from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import subprocess
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)
from tests.integration.certs import TestCA

from fastlog import _native
from fastlog.protocol import _codec_py as codec_py
from fastlog.server import trace
from fastlog.testing import BrokerProcess

PLAIN_JAAS = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" '
              'password="admin-secret" user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";')


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca = TestCA(folder)
    server_cert, server_key = ca.issue("server", "localhost", server=True, key_password="keypass")
    keystore = folder / "server-keystore.pem"  # one PEM file: the (encrypted) key and the chain
    keystore.write_text(server_key.read_text() + server_cert.read_text())
    client_cert, client_key = ca.issue("alice", "alice", ou="ServiceUsers")
    other_ca = TestCA(tmp_path_factory.mktemp("other-ca"))
    rogue_cert, rogue_key = other_ca.issue("rogue", "alice", ou="ServiceUsers")
    return {"ca": ca, "folder": folder, "keystore": keystore, "server_cert": server_cert, "server_key": server_key,
            "client_cert": client_cert, "client_key": client_key, "rogue_cert": rogue_cert, "rogue_key": rogue_key}


def security_overrides(pki, **extra) -> dict:
    settings = {
        "listeners": "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,"
                     "SASL_SSL://127.0.0.1:0,MTLS://127.0.0.1:0",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,"
                                          "SASL_SSL:SASL_SSL,MTLS:SSL",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(pki["keystore"]),
        "ssl.key.password": "keypass",
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(pki["ca"].ca_file),
        "listener.name.mtls.ssl.client.auth": "required",
        "listener.name.mtls.ssl.principal.mapping.rules": "RULE:^CN=(.*?),OU=ServiceUsers,.*$/$1/L,DEFAULT",
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": PLAIN_JAAS,
        "listener.name.sasl_ssl.plain.sasl.jaas.config": PLAIN_JAAS,
        "scram.bootstrap.users": "SCRAM-SHA-512=[name=admin,password=admin-secret];"
                                 "SCRAM-SHA-256=[name=admin,password=admin-secret,iterations=8192]",
    }
    settings.update(extra)
    return settings


@pytest.fixture(scope="module")
def secure_broker(pki, tmp_path_factory):
    broker = BrokerProcess(data_dir=str(tmp_path_factory.mktemp("secure")), overrides=security_overrides(pki))
    broker.start()
    yield broker
    broker.stop()
    broker.cleanup()


def client_settings(broker, pki, listener: str, mechanism: str = "", user: str = "", password: str = "") -> dict:
    """librdkafka settings for one listener of `broker`."""
    settings = {"bootstrap.servers": broker.listeners[listener], "socket.timeout.ms": 10000,
                "message.timeout.ms": 15000}
    protocol = {"MTLS": "SSL"}.get(listener, listener)
    settings["security.protocol"] = protocol
    if "SSL" in protocol:
        settings["ssl.ca.location"] = str(pki["ca"].ca_file)
    if listener == "MTLS":
        settings["ssl.certificate.location"] = str(pki["client_cert"])
        settings["ssl.key.location"] = str(pki["client_key"])
    if "SASL" in protocol:
        settings.update({"sasl.mechanism": mechanism, "sasl.username": user, "sasl.password": password})
    return settings


def roundtrip(settings: dict, topic: str, count: int = 20) -> list[bytes]:
    """Produce `count` records and read them back with a group consumer; their values."""
    producer = Producer(settings)
    for i in range(count):
        producer.produce(topic, value=f"{topic}-{i}".encode())
    assert producer.flush(20) == 0
    consumer = Consumer({**settings, "group.id": f"g-{topic}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    values: list[bytes] = []
    try:
        for _ in range(200):
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                values.append(msg.value())
            if len(values) >= count:
                break
    finally:
        consumer.close()
    return values


# -- listeners ---------------------------------------------------------------------------------
def test_ready_line_names_every_listener_and_metadata_answers_its_own(secure_broker, pki):
    assert set(secure_broker.listeners) == {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL", "MTLS"}
    ports = {address.rsplit(":", 1)[1] for address in secure_broker.listeners.values()}
    assert len(ports) == 5 and "0" not in ports
    for listener, mechanism, user, password in [("PLAINTEXT", "", "", ""), ("SSL", "", "", ""),
                                                ("SASL_PLAINTEXT", "PLAIN", "alice", "alice-secret"),
                                                ("SASL_SSL", "SCRAM-SHA-512", "admin", "admin-secret"),
                                                ("MTLS", "", "", "")]:
        admin = AdminClient(client_settings(secure_broker, pki, listener, mechanism, user, password))
        brokers = admin.list_topics(timeout=15).brokers
        assert [f"{b.host}:{b.port}" for b in brokers.values()] == [secure_broker.listeners[listener]], listener


def test_advertised_listeners_per_listener(broker_factory):
    broker = broker_factory({"listeners": "PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0",
                             "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT",
                             "advertised.listeners": "INTERNAL://internal.example:19093"})
    for name, expected in [("PLAINTEXT", broker.listeners["PLAINTEXT"]), ("INTERNAL", "internal.example:19093")]:
        metadata = AdminClient({"bootstrap.servers": broker.listeners[name]}).list_topics(timeout=15)
        assert [f"{b.host}:{b.port}" for b in metadata.brokers.values()] == [expected]


# -- TLS --------------------------------------------------------------------------------------
@pytest.mark.parametrize("listener", ["SSL", "MTLS"])
def test_confluent_roundtrip_over_tls(secure_broker, pki, listener):
    topic = f"tls-{listener.lower()}-{uuid.uuid4().hex[:6]}"
    assert roundtrip(client_settings(secure_broker, pki, listener), topic) == \
        [f"{topic}-{i}".encode() for i in range(20)]


def test_large_fetch_over_tls_goes_through_the_fallback(secure_broker, pki):
    """Fetch over TLS cannot use sendfile: a fetch of several MiB must arrive whole."""
    settings = client_settings(secure_broker, pki, "SSL")
    topic = f"tls-big-{uuid.uuid4().hex[:6]}"
    producer = Producer({**settings, "batch.size": 1 << 20, "linger.ms": 50})
    payload = bytes(range(256)) * 400  # 100 KiB, incompressible enough
    for i in range(60):
        producer.produce(topic, value=payload + str(i).encode())
    assert producer.flush(30) == 0
    consumer = Consumer({**settings, "group.id": "big", "auto.offset.reset": "earliest",
                         "fetch.max.bytes": 16 << 20, "max.partition.fetch.bytes": 16 << 20})
    consumer.subscribe([topic])
    got = []
    try:
        for _ in range(200):
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got.append(msg.value())
            if len(got) == 60:
                break
    finally:
        consumer.close()
    assert got == [payload + str(i).encode() for i in range(60)]


def test_mtls_refuses_a_client_without_or_with_a_foreign_certificate(secure_broker, pki):
    host, port = secure_broker.listeners["MTLS"].rsplit(":", 1)
    for cert in (None, (pki["rogue_cert"], pki["rogue_key"])):
        ctx = ssl.create_default_context(cafile=str(pki["ca"].ca_file))
        if cert:
            ctx.load_cert_chain(str(cert[0]), str(cert[1]))
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with socket.create_connection((host, int(port)), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                    tls.sendall(api_versions_request())
                    if not tls.recv(4):
                        raise ConnectionError("closed")
    assert secure_broker.alive()


def test_tls_versions_follow_ssl_enabled_protocols(broker_factory, pki):
    broker = broker_factory(security_overrides(pki, **{"listeners": "SSL://127.0.0.1:0",
                                                     "listener.security.protocol.map": "SSL:SSL",
                                                     "ssl.enabled.protocols": "TLSv1.3"}))
    host, port = broker.listeners["SSL"].rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=str(pki["ca"].ca_file))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(ssl.SSLError):
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            ctx.wrap_socket(raw, server_hostname="localhost")
    ctx = ssl.create_default_context(cafile=str(pki["ca"].ca_file))
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == "TLSv1.3"


def test_inline_pem_and_pkcs12_keystores(broker_factory, pki, tmp_path):
    ca: TestCA = pki["ca"]
    inline = {"listeners": "SSL://127.0.0.1:0", "listener.security.protocol.map": "SSL:SSL",
              "ssl.keystore.type": "PEM", "ssl.keystore.certificate.chain": pki["server_cert"].read_text(),
              "ssl.keystore.key": pki["server_key"].read_text(), "ssl.key.password": "keypass"}
    ca.issue("server2", "localhost", server=True)
    p12 = ca.pkcs12("server2", "storepass")
    pkcs = {"listeners": "SSL://127.0.0.1:0", "listener.security.protocol.map": "SSL:SSL",
            "ssl.keystore.type": "PKCS12", "ssl.keystore.location": str(p12), "ssl.keystore.password": "storepass"}
    for overrides in (inline, pkcs):
        broker = broker_factory(overrides)
        settings = {"bootstrap.servers": broker.listeners["SSL"], "security.protocol": "SSL",
                    "ssl.ca.location": str(ca.ca_file)}
        assert AdminClient(settings).list_topics(timeout=15).brokers


def test_garbage_on_a_tls_listener_closes_only_that_connection(secure_broker, pki):
    for listener in ("SSL", "SASL_SSL"):
        host, port = secure_broker.listeners[listener].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(b"\x16\x03\x01\x00\x05garbage-not-a-client-hello" * 10)
            assert raw.recv(4096) is not None  # an alert or EOF, never a hang
    topic = f"after-garbage-{uuid.uuid4().hex[:6]}"
    assert len(roundtrip(client_settings(secure_broker, pki, "SSL"), topic, 3)) == 3


# -- SASL -------------------------------------------------------------------------------------
@pytest.mark.parametrize("listener, mechanism, user, password", [
    ("SASL_PLAINTEXT", "PLAIN", "alice", "alice-secret"),
    ("SASL_PLAINTEXT", "SCRAM-SHA-512", "admin", "admin-secret"),
    ("SASL_PLAINTEXT", "SCRAM-SHA-256", "admin", "admin-secret"),
    ("SASL_SSL", "PLAIN", "bob", "bob-secret"),
    ("SASL_SSL", "SCRAM-SHA-512", "admin", "admin-secret"),
])
def test_confluent_roundtrip_over_sasl(secure_broker, pki, listener, mechanism, user, password):
    topic = f"sasl-{uuid.uuid4().hex[:6]}"
    settings = client_settings(secure_broker, pki, listener, mechanism, user, password)
    assert roundtrip(settings, topic, 5) == [f"{topic}-{i}".encode() for i in range(5)]


def _auth_error(settings: dict) -> str:
    """The first authentication error librdkafka reports for these settings."""
    errors: list[str] = []
    producer = Producer({**settings, "error_cb": lambda e: errors.append(e.str())})
    for _ in range(40):
        producer.poll(0.25)
        if errors:
            break
    return errors[0] if errors else ""


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-512"])
def test_wrong_password_and_unknown_user_are_refused_alike(secure_broker, pki, mechanism):
    wrong = _auth_error(client_settings(secure_broker, pki, "SASL_PLAINTEXT", mechanism, "admin", "nope"))
    unknown = _auth_error(client_settings(secure_broker, pki, "SASL_PLAINTEXT", mechanism, "nobody", "nope"))
    assert "Authentication failed" in wrong
    def without_timing(text: str) -> str:
        return text.split(" (after")[0]

    assert without_timing(wrong) == without_timing(unknown)


def api_versions_request(correlation_id: int = 1) -> bytes:
    body = struct.pack(">hhih", 18, 0, correlation_id, -1)
    return struct.pack(">i", len(body)) + body


def _frame(api_key: int, version: int, body: bytes, correlation_id: int = 7) -> bytes:
    header = struct.pack(">hhih", api_key, version, correlation_id, -1)
    return struct.pack(">i", len(header) + len(body)) + header + body


def _read_frame(sock: socket.socket) -> bytes:
    size = struct.unpack(">i", _recv_exact(sock, 4))[0]
    return _recv_exact(sock, size)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("closed")
        out += chunk
    return out


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionError:
        return True


def test_sasl_listener_serves_nothing_before_authentication(secure_broker):
    host, port = secure_broker.listeners["SASL_PLAINTEXT"].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(api_versions_request())
        assert _read_frame(sock)[:4] == struct.pack(">i", 1)  # ApiVersions is answered
        metadata_v1 = struct.pack(">i", -1)  # all topics
        sock.sendall(_frame(3, 1, metadata_v1))
        assert _closed(sock)
    assert secure_broker.alive()


def test_bad_sasl_input_closes_only_that_connection(secure_broker, pki):
    host, port = secure_broker.listeners["SASL_PLAINTEXT"].rsplit(":", 1)
    # an oversized frame
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(struct.pack(">i", 2**31 - 1) + b"x" * 100)
        assert _closed(sock)
    # an authenticate loop: SaslAuthenticate after a failure is never reached, the connection is gone
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        mech = b"PLAIN"
        sock.sendall(_frame(17, 1, struct.pack(">h", len(mech)) + mech))
        _read_frame(sock)
        token = b"\0admin\0wrong"
        auth = _frame(36, 1, struct.pack(">i", len(token)) + token)
        sock.sendall(auth)
        reply = _read_frame(sock)
        assert struct.unpack(">h", reply[4:6])[0] == 58  # SASL_AUTHENTICATION_FAILED
        try:
            for _ in range(50):
                sock.sendall(auth)
        except OSError:
            pass
        assert _closed(sock)
    # SaslAuthenticate garbage for SCRAM
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        mech = b"SCRAM-SHA-512"
        sock.sendall(_frame(17, 1, struct.pack(">h", len(mech)) + mech))
        _read_frame(sock)
        junk = b"\xff\xfe garbage"
        sock.sendall(_frame(36, 1, struct.pack(">i", len(junk)) + junk))
        assert struct.unpack(">h", _read_frame(sock)[4:6])[0] == 58
        assert _closed(sock)
    topic = f"after-bad-{uuid.uuid4().hex[:6]}"
    settings = client_settings(secure_broker, pki, "SASL_PLAINTEXT", "PLAIN", "alice", "alice-secret")
    assert len(roundtrip(settings, topic, 3)) == 3


def test_kafka_python_and_aiokafka_over_sasl_ssl(secure_broker, pki):
    from kafka import KafkaConsumer, KafkaProducer
    ssl_ctx = ssl.create_default_context(cafile=str(pki["ca"].ca_file))
    common = dict(bootstrap_servers=secure_broker.listeners["SASL_SSL"], security_protocol="SASL_SSL",
                  ssl_context=ssl_ctx, sasl_mechanism="SCRAM-SHA-512", sasl_plain_username="admin",
                  sasl_plain_password="admin-secret")
    topic = f"kp-{uuid.uuid4().hex[:6]}"
    producer = KafkaProducer(**common)
    for i in range(5):
        producer.send(topic, f"v{i}".encode())
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(topic, auto_offset_reset="earliest", consumer_timeout_ms=10000, **common)
    assert [m.value for m in consumer][:5] == [f"v{i}".encode() for i in range(5)]
    consumer.close()

    async def with_aiokafka() -> list[bytes]:
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
        settings = dict(bootstrap_servers=secure_broker.listeners["SASL_SSL"], security_protocol="SASL_SSL",
                        ssl_context=ssl.create_default_context(cafile=str(pki["ca"].ca_file)),
                        sasl_mechanism="PLAIN", sasl_plain_username="alice", sasl_plain_password="alice-secret")
        producer = AIOKafkaProducer(**settings)
        await producer.start()
        try:
            for i in range(5):
                await producer.send_and_wait(topic + "-aio", f"a{i}".encode())
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(topic + "-aio", auto_offset_reset="earliest", **settings)
        await consumer.start()
        try:
            batch = await consumer.getmany(timeout_ms=10000, max_records=5)
            return [m.value for msgs in batch.values() for m in msgs]
        finally:
            await consumer.stop()

    assert asyncio.run(with_aiokafka()) == [f"a{i}".encode() for i in range(5)]


def test_kcat_over_sasl_ssl(secure_broker, pki):
    """PLAIN: kcat's librdkafka (2.0.2) has the SCRAM nonce bug fixed in 2.6.1 (librdkafka#4895),
    which Kafka 4 refuses as fastlog does (test_kcat_scram_nonce_bug_is_refused_as_by_kafka_4)."""
    topic = f"kcat-{uuid.uuid4().hex[:6]}"
    args = ["kcat", "-b", secure_broker.listeners["SASL_SSL"], "-X", "security.protocol=SASL_SSL",
            "-X", f"ssl.ca.location={pki['ca'].ca_file}", "-X", "sasl.mechanism=PLAIN",
            "-X", "sasl.username=alice", "-X", "sasl.password=alice-secret"]
    subprocess.run(args + ["-P", "-t", topic], input=b"one\ntwo\n", check=True, timeout=60)
    out = subprocess.run(args + ["-C", "-t", topic, "-o", "beginning", "-e", "-q"], capture_output=True,
                         check=True, timeout=60)
    assert out.stdout.split() == [b"one", b"two"]


# -- Java tools over SASL_SSL: SCRAM users with kafka-configs, ACLs with kafka-acls -------------
ACL_COMMAND = "org.apache.kafka.tools.AclCommand"


def java_client_properties(path, broker, pki, user: str, password: str, mechanism: str = "SCRAM-SHA-512") -> str:
    module = ("org.apache.kafka.common.security.plain.PlainLoginModule" if mechanism == "PLAIN"
              else "org.apache.kafka.common.security.scram.ScramLoginModule")
    path.write_text(
        "security.protocol=SASL_SSL\n"
        f"sasl.mechanism={mechanism}\n"
        f'sasl.jaas.config={module} required username="{user}" password="{password}";\n'
        "ssl.truststore.type=PEM\n"
        f"ssl.truststore.location={pki['ca'].ca_file}\n")
    return str(path)


def java_tool(main_class: str, *args: str):
    from fastlog import kafka_dist as kd
    proc = kd.run_class(main_class, list(args), timeout=120)
    assert proc.returncode == 0, f"{main_class} {args} exited {proc.returncode}\n{proc.stdout[-2000:]}\n" \
                                 f"{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def acl_broker(pki, tmp_path_factory):
    broker = BrokerProcess(data_dir=str(tmp_path_factory.mktemp("acl")), overrides=security_overrides(
        pki, **{"authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users": "User:admin", "auto.create.topics.enable": "false"}))
    broker.start()
    yield broker
    broker.stop()
    broker.cleanup()


def test_scram_users_with_kafka_configs_then_java_and_librdkafka_log_in(acl_broker, pki, tmp_path):
    from fastlog import kafka_dist as kd
    admin = java_client_properties(tmp_path / "admin.properties", acl_broker, pki, "admin", "admin-secret")
    bootstrap = acl_broker.listeners["SASL_SSL"]
    java_tool(kd.CONFIG_COMMAND, "--bootstrap-server", bootstrap, "--command-config", admin, "--alter",
              "--add-config", "SCRAM-SHA-512=[iterations=4096,password=carol-secret],SCRAM-SHA-256=[password=c2]",
              "--entity-type", "users", "--entity-name", "carol")
    admin_client = AdminClient(client_settings(acl_broker, pki, "SASL_SSL", "SCRAM-SHA-512", "admin", "admin-secret"))
    described = admin_client.describe_user_scram_credentials(["carol"])["carol"].result(15)
    assert sorted((info.mechanism.name, info.iterations) for info in described.scram_credential_infos) == \
        [("SCRAM_SHA_256", 4096), ("SCRAM_SHA_512", 4096)]
    for describe_all in ((), (None,)):   # every user (librdkafka sends an empty list): Kafka lists all
        assert {"admin", "carol"} <= set(admin_client.describe_user_scram_credentials(*describe_all).result(15))
    settings = client_settings(acl_broker, pki, "SASL_SSL", "SCRAM-SHA-512", "carol", "carol-secret")
    # carol has no ACL: she logs in but sees no topic
    assert AdminClient(settings).list_topics(timeout=15).brokers
    java_tool(kd.CONFIG_COMMAND, "--bootstrap-server", bootstrap, "--command-config", admin, "--alter",
              "--delete-config", "SCRAM-SHA-512", "--entity-type", "users", "--entity-name", "carol")
    assert "Authentication failed" in _auth_error(settings)


def test_credentials_are_stored_salted_and_survive_a_restart(pki, tmp_path):
    broker = BrokerProcess(data_dir=str(tmp_path / "data"), overrides=security_overrides(pki))
    broker.start()
    try:
        stored = (tmp_path / "data" / "logs" / "scram-credentials.json").read_text()
        assert "admin-secret" not in stored and "stored_key" in stored
        broker.restart()
        settings = client_settings(broker, pki, "SASL_PLAINTEXT", "SCRAM-SHA-512", "admin", "admin-secret")
        assert AdminClient(settings).list_topics(timeout=15).brokers
    finally:
        broker.stop()
        broker.cleanup()


def test_acl_matrix(acl_broker, pki, tmp_path):
    """alice may READ topic A only: she cannot produce to A, see B, join group G without READ on
    G, or create topics; kafka-acls grants the group and lists the bindings."""
    bootstrap = acl_broker.listeners["SASL_SSL"]
    suffix = uuid.uuid4().hex[:6]
    topic_a, topic_b, group = f"A-{suffix}", f"B-{suffix}", f"G-{suffix}"
    admin_settings = client_settings(acl_broker, pki, "SASL_SSL", "SCRAM-SHA-512", "admin", "admin-secret")
    admin = AdminClient(admin_settings)
    for future in admin.create_topics([NewTopic(topic_a, 1, 1), NewTopic(topic_b, 1, 1)]).values():
        future.result(15)
    admin_producer = Producer(admin_settings)
    admin_producer.produce(topic_a, b"hello")
    assert admin_producer.flush(15) == 0
    admin_props = java_client_properties(tmp_path / "admin.properties", acl_broker, pki, "admin", "admin-secret")
    java_tool(ACL_COMMAND, "--bootstrap-server", bootstrap, "--command-config", admin_props, "--add",
              "--allow-principal", "User:alice", "--operation", "Read", "--topic", topic_a)

    alice = client_settings(acl_broker, pki, "SASL_SSL", "PLAIN", "alice", "alice-secret")
    visible = AdminClient(alice).list_topics(timeout=15).topics
    assert topic_a in visible and topic_b not in visible  # READ implies DESCRIBE; B is hidden

    from kafka import KafkaProducer
    from kafka.errors import TopicAuthorizationFailedError
    kp = KafkaProducer(bootstrap_servers=bootstrap, security_protocol="SASL_SSL", sasl_mechanism="PLAIN",
                       sasl_plain_username="alice", sasl_plain_password="alice-secret", retries=0,
                       ssl_context=ssl.create_default_context(cafile=str(pki["ca"].ca_file)))
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            kp.send(topic_a, b"nope").get(timeout=15)
    finally:
        kp.close()

    alice_admin = AdminClient(alice)  # kept referenced: a dropped client fails its futures with _DESTROY
    create = alice_admin.create_topics([NewTopic(f"C-{suffix}", 1, 1)])
    with pytest.raises(KafkaException) as refused:
        create[f"C-{suffix}"].result(15)
    assert refused.value.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED

    def consume() -> object:
        consumer = Consumer({**alice, "group.id": group, "auto.offset.reset": "earliest"})
        consumer.subscribe([topic_a])
        try:
            for _ in range(60):
                msg = consumer.poll(0.5)
                if msg is not None:
                    return msg.error().code() if msg.error() else msg.value()
        finally:
            consumer.close()
        return None

    assert consume() == KafkaError.GROUP_AUTHORIZATION_FAILED
    java_tool(ACL_COMMAND, "--bootstrap-server", bootstrap, "--command-config", admin_props, "--add",
              "--allow-principal", "User:alice", "--operation", "Read", "--group", "G-",
              "--resource-pattern-type", "prefixed")
    assert consume() == b"hello"
    listed = java_tool(ACL_COMMAND, "--bootstrap-server", bootstrap, "--command-config", admin_props, "--list")
    assert f"name={topic_a}, patternType=LITERAL" in listed and "name=G-, patternType=PREFIXED" in listed
    assert "principal=User:alice, host=*, operation=READ, permissionType=ALLOW" in listed

    # a DENY wins over the ALLOW
    java_tool(ACL_COMMAND, "--bootstrap-server", bootstrap, "--command-config", admin_props, "--add",
              "--deny-principal", "User:alice", "--operation", "Read", "--topic", topic_a)
    assert topic_a in AdminClient(alice).list_topics(timeout=15).topics  # DESCRIBE still implied by the ALLOW
    consumer = Consumer({**alice, "group.id": group + "-2", "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(topic_a, 0, 0)])
    try:
        msg = None
        for _ in range(60):
            msg = consumer.poll(0.5)
            if msg is not None:
                break
        assert msg is not None and msg.error() and msg.error().code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    finally:
        consumer.close()
    java_tool(ACL_COMMAND, "--bootstrap-server", bootstrap, "--command-config", admin_props, "--remove", "--force",
              "--deny-principal", "User:alice", "--operation", "Read", "--topic", topic_a)
    assert "DENY" not in java_tool(ACL_COMMAND, "--bootstrap-server", bootstrap, "--command-config", admin_props,
                                   "--list", "--topic", topic_a)


def test_acl_produce_follows_the_acls_of_each_request(acl_broker, pki):
    """alice's Produce requests (small ones, which the compiled fast path serves when she may
    write every topic they name) are decided by the ACLs as they stand at each request: a topic
    without WRITE is refused, a grant made meanwhile lets the next one in, a DENY refuses it
    again, and a topic created later follows its own ACLs. (A new producer per request: after a
    refusal librdkafka refuses the topic locally until its metadata is refreshed.)"""
    suffix = uuid.uuid4().hex[:6]
    allowed, other, later = f"W-{suffix}", f"X-{suffix}", f"Y-{suffix}"
    admin = AdminClient(client_settings(acl_broker, pki, "SASL_SSL", "SCRAM-SHA-512", "admin", "admin-secret"))
    for future in admin.create_topics([NewTopic(allowed, 2, 1), NewTopic(other, 1, 1)]).values():
        future.result(15)

    def write_acl(topic: str, permission=AclPermissionType.ALLOW) -> AclBinding:
        return AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, "User:alice", "*",
                          AclOperation.WRITE, permission)

    def grant(*bindings: AclBinding) -> None:
        for future in admin.create_acls(list(bindings)).values():
            future.result(15)

    # DESCRIBE is implied by WRITE: alice sees the topics she may write, and "other" through DESCRIBE
    grant(write_acl(allowed), AclBinding(ResourceType.TOPIC, other, ResourcePatternType.LITERAL, "User:alice",
                                         "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW))
    alice = {**client_settings(acl_broker, pki, "SASL_SSL", "PLAIN", "alice", "alice-secret"),
             "linger.ms": 0, "retries": 0, "acks": 1}
    outcomes: list = []

    def send(topic: str, value: bytes, partition: int = 0):
        outcomes.clear()
        producer = Producer(alice)
        producer.produce(topic, value, partition=partition, on_delivery=lambda err, msg: outcomes.append(err))
        assert producer.flush(15) == 0 and len(outcomes) == 1
        return None if outcomes[0] is None else outcomes[0].code()

    assert send(allowed, b"one") is None
    assert send(allowed, b"two", partition=1) is None
    assert send(other, b"nope") == KafkaError.TOPIC_AUTHORIZATION_FAILED
    grant(write_acl(other))
    assert send(other, b"now yes") is None
    grant(write_acl(other, AclPermissionType.DENY))
    assert send(other, b"denied again") == KafkaError.TOPIC_AUTHORIZATION_FAILED
    assert send(allowed, b"three") is None
    admin.create_topics([NewTopic(later, 1, 1)])[later].result(15)
    grant(AclBinding(ResourceType.TOPIC, later, ResourcePatternType.LITERAL, "User:alice", "*",
                     AclOperation.DESCRIBE, AclPermissionType.ALLOW))
    assert send(later, b"no write yet") == KafkaError.TOPIC_AUTHORIZATION_FAILED
    grant(write_acl(later))
    assert send(later, b"written") is None
    for future in admin.delete_acls([AclBindingFilter(ResourceType.TOPIC, allowed, ResourcePatternType.LITERAL,
                                                      "User:alice", None, AclOperation.WRITE,
                                                      AclPermissionType.ALLOW)]).values():
        future.result(15)
    assert send(allowed, b"revoked") == KafkaError.TOPIC_AUTHORIZATION_FAILED

    # what was acknowledged is exactly what is in the logs
    admin_consumer = Consumer({**client_settings(acl_broker, pki, "SASL_SSL", "SCRAM-SHA-512", "admin",
                                                 "admin-secret"), "group.id": f"check-{suffix}"})
    try:
        for topic, partition, expected in ((allowed, 0, 2), (allowed, 1, 1), (other, 0, 1), (later, 0, 1)):
            assert admin_consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=15) == (0, expected)
    finally:
        admin_consumer.close()


def test_acls_need_an_authorizer_and_cluster_alter(secure_broker, acl_broker, pki):
    binding = AclBinding(ResourceType.TOPIC, "x", ResourcePatternType.LITERAL, "User:bob", "*",
                         AclOperation.READ, AclPermissionType.ALLOW)
    no_authorizer = AdminClient(client_settings(secure_broker, pki, "PLAINTEXT"))
    with pytest.raises(KafkaException, match="SECURITY_DISABLED|No Authorizer"):
        no_authorizer.create_acls([binding])[binding].result(15)
    bob = AdminClient(client_settings(acl_broker, pki, "SASL_SSL", "PLAIN", "bob", "bob-secret"))
    with pytest.raises(KafkaException, match="CLUSTER_AUTHORIZATION_FAILED|[Aa]uthoriz"):
        bob.create_acls([binding])[binding].result(15)



def test_transaction_apis_check_the_transactional_id_group_and_topics(acl_broker, pki):
    """bob may DESCRIBE transactional id T (FindCoordinator) but not WRITE it: InitProducerId is
    refused; with WRITE on T and the topic his transaction commits, but its offsets for a group
    he may not READ are refused (AddOffsetsToTxn)."""
    suffix = uuid.uuid4().hex[:6]
    topic, txn_id, group = f"T-{suffix}", f"tx-{suffix}", f"TG-{suffix}"
    admin = AdminClient(client_settings(acl_broker, pki, "SASL_SSL", "SCRAM-SHA-512", "admin", "admin-secret"))
    for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        future.result(15)

    def grant(resource_type, name, operation) -> None:
        binding = AclBinding(resource_type, name, ResourcePatternType.LITERAL, "User:bob", "*", operation,
                             AclPermissionType.ALLOW)
        admin.create_acls([binding])[binding].result(15)

    grant(ResourceType.TOPIC, topic, AclOperation.WRITE)
    grant(ResourceType.TRANSACTIONAL_ID, txn_id, AclOperation.DESCRIBE)
    bob = {**client_settings(acl_broker, pki, "SASL_SSL", "PLAIN", "bob", "bob-secret"), "transactional.id": txn_id}
    refused = Producer(bob)
    with pytest.raises(KafkaException) as init_error:
        refused.init_transactions(15)
    assert init_error.value.args[0].code() == KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED

    grant(ResourceType.TRANSACTIONAL_ID, txn_id, AclOperation.WRITE)
    producer = Producer(bob)
    producer.init_transactions(15)
    producer.begin_transaction()
    producer.produce(topic, b"in a transaction")
    assert producer.flush(15) == 0
    consumer = Consumer({**client_settings(acl_broker, pki, "SASL_SSL", "SCRAM-SHA-512", "admin", "admin-secret"),
                         "group.id": group})
    try:
        with pytest.raises(KafkaException) as offsets_error:
            producer.send_offsets_to_transaction([TopicPartition(topic, 0, 1)], consumer.consumer_group_metadata(),
                                                 15)
        assert offsets_error.value.args[0].code() == KafkaError.GROUP_AUTHORIZATION_FAILED
    finally:
        consumer.close()
    producer.abort_transaction(15)
    producer.begin_transaction()
    producer.produce(topic, b"committed")
    producer.commit_transaction(15)
    reader = Consumer({**client_settings(acl_broker, pki, "SASL_SSL", "SCRAM-SHA-512", "admin", "admin-secret"),
                       "group.id": group + "-reader", "isolation.level": "read_committed"})
    reader.assign([TopicPartition(topic, 0, 0)])
    try:
        values = []
        for _ in range(60):
            msg = reader.poll(0.5)
            if msg is not None and msg.error() is None:
                values.append(msg.value())
            if values:
                break
        assert values == [b"committed"]  # the aborted record is skipped
    finally:
        reader.close()



def test_a_user_quota_throttles_the_authenticated_principal(secure_broker, pki):
    """A producer_byte_rate quota on user alice (AlterClientQuotas) throttles alice's SASL
    connections and not bob's: the quota user is the principal's name."""
    from clients import RawConnection
    with RawConnection(secure_broker.listeners["PLAINTEXT"]) as conn:
        answer = conn.call(49, 1, {"validate_only": False, "entries": [
            {"entity": [{"entity_type": "user", "entity_name": "alice"}],
             "ops": [{"key": "producer_byte_rate", "value": 10000.0, "remove": False}]}]})
        assert answer["entries"][0]["error_code"] == 0
    topic = f"quota-{uuid.uuid4().hex[:6]}"

    def throttle_times(user: str) -> list[int]:
        events: list[int] = []
        producer = Producer({**client_settings(secure_broker, pki, "SASL_PLAINTEXT", "PLAIN", user, f"{user}-secret"),
                             "linger.ms": 5, "message.timeout.ms": 120000,
                             "throttle_cb": lambda event: events.append(event.throttle_time)})
        for _ in range(150):  # 150 KB over Kafka's shortest rate span (10 windows of 1 s): 15 KB/s
            producer.produce(topic, b"x" * 1000)
            producer.poll(0)
        assert producer.flush(120) == 0
        producer.poll(0.5)  # deliver the last throttle events
        return events

    assert any(t > 0 for t in throttle_times("alice"))
    assert not any(t > 0 for t in throttle_times("bob"))


def test_reauthentication_keeps_a_session_going(pki, tmp_path, monkeypatch):
    """connections.max.reauth.ms: librdkafka re-authenticates on the same connection before the
    session ends, and keeps producing, through the compiled Produce fast path (the broker's
    trace says which path served each request)."""
    monkeypatch.setenv(trace.ENV, str(tmp_path / "trace.jsonl"))
    broker = BrokerProcess(data_dir=str(tmp_path / "data"),
                           overrides=security_overrides(pki, **{"connections.max.reauth.ms": "1500"}))
    broker.start()
    try:
        settings = client_settings(broker, pki, "SASL_PLAINTEXT", "SCRAM-SHA-512", "admin", "admin-secret")
        producer = Producer(settings)
        topic = f"reauth-{uuid.uuid4().hex[:6]}"
        for i in range(8):
            producer.produce(topic, str(i).encode())
            assert producer.flush(15) == 0
            time.sleep(0.5)  # the session (1.5 s) ends several times while producing
        assert "expired" not in broker.log_tail(20000)
        del producer  # gone before the broker stops
        broker.stop()  # writes the trace out
        requests = [e for e in trace.read(str(tmp_path / "trace.jsonl")) if e["kind"] == "request"]
        assert sum(e["api"] == 36 for e in requests) >= 2  # SaslAuthenticate: the first and again
        produces = [e for e in requests if e["api"] == 0]
        assert len(produces) >= 8 and all(e.get("fast") for e in produces[1:]), produces  # the first creates it
    finally:
        broker.stop()
        broker.cleanup()


def test_an_expired_session_is_closed_unless_renewed(pki, tmp_path, monkeypatch):
    """SaslAuthenticate v1 tells the session lifetime; a request after it without
    re-authentication closes the connection, and re-authentication renews it. A Produce that
    the compiled fast path would serve is no exception."""
    monkeypatch.setenv(trace.ENV, str(tmp_path / "trace.jsonl"))
    broker = BrokerProcess(data_dir=str(tmp_path / "data"),
                           overrides=security_overrides(pki, **{"connections.max.reauth.ms": "1000"}))
    broker.start()
    try:
        host, port = broker.listeners["SASL_PLAINTEXT"].rsplit(":", 1)

        def authenticate(sock: socket.socket) -> int:
            mech = b"PLAIN"
            sock.sendall(_frame(17, 1, struct.pack(">h", len(mech)) + mech))
            _read_frame(sock)
            token = b"\0alice\0alice-secret"
            sock.sendall(_frame(36, 1, struct.pack(">i", len(token)) + token))
            reply = _read_frame(sock)
            assert struct.unpack(">h", reply[4:6])[0] == 0
            return struct.unpack(">q", reply[-8:])[0]  # session_lifetime_ms, the last field of v1

        topic = b"expiry"
        metadata_v1 = _frame(3, 1, struct.pack(">ih", 1, len(topic)) + topic)  # creates the topic
        records = _native.build_batch([(None, b"v", [], int(time.time() * 1000))])
        produce_v3 = _frame(0, 3, struct.pack(">hhiih", -1, 1, 5000, 1, len(topic)) + topic
                            + struct.pack(">iii", 1, 0, len(records)) + records)

        def produce(sock: socket.socket) -> int:
            sock.sendall(produce_v3)
            answer = codec_py.decode_response(0, 3, _read_frame(sock))[1]
            (partition,) = answer["responses"][0]["partition_responses"]
            assert partition["error_code"] == 0
            return partition["base_offset"]

        with socket.create_connection((host, int(port)), timeout=10) as sock:
            assert authenticate(sock) == 1000
            sock.sendall(metadata_v1)
            assert _read_frame(sock)
            assert produce(sock) == 0
            time.sleep(1.3)
            assert authenticate(sock) == 1000  # re-authentication on the same connection
            sock.sendall(metadata_v1)
            assert _read_frame(sock)
            assert produce(sock) == 1
            time.sleep(1.3)
            sock.sendall(produce_v3)
            assert _closed(sock)
        assert "SASL session expired" in broker.log_tail(20000)
        broker.stop()  # writes the trace out
        produces = [e for e in trace.read(str(tmp_path / "trace.jsonl")) if e["kind"] == "request" and e["api"] == 0]
        assert len(produces) == 2 and all(e.get("fast") for e in produces), produces  # not the expired one
    finally:
        broker.stop()
        broker.cleanup()


def test_sasl_handshake_v0_takes_unframed_tokens(secure_broker):
    host, port = secure_broker.listeners["SASL_PLAINTEXT"].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        mech = b"PLAIN"
        sock.sendall(_frame(17, 0, struct.pack(">h", len(mech)) + mech))
        assert struct.unpack(">h", _read_frame(sock)[4:6])[0] == 0
        token = b"\0bob\0bob-secret"
        sock.sendall(struct.pack(">i", len(token)) + token)  # a bare token, no request header
        assert _read_frame(sock) == b""  # PLAIN's empty server token, also bare
        sock.sendall(_frame(3, 1, struct.pack(">i", 0)))
        assert struct.unpack(">i", _read_frame(sock)[:4])[0] == 7  # the Metadata answer


# -- the admin and config APIs check Kafka's ACLs ----------------------------------------------
TOPIC_REFUSED, GROUP_REFUSED, CLUSTER_REFUSED, TXN_REFUSED = 29, 30, 31, 53
REFUSALS = {TOPIC_REFUSED, GROUP_REFUSED, CLUSTER_REFUSED, TXN_REFUSED}


def _admin_api_answers(raw, topic: str, group: str, txn_id: str) -> dict[str, object]:
    """Ask every admin/config API about `topic`, `group`, `txn_id` and the cluster; the error
    codes that tell whether each was authorized (Kafka's per-resource places)."""
    def call(api_key: int, version: int, body: dict) -> dict:
        return raw.call(api_key, version, body)

    configs = call(32, 4, {"resources": [
        {"resource_type": 2, "resource_name": topic, "configuration_keys": None},
        {"resource_type": 4, "resource_name": "", "configuration_keys": None},
        {"resource_type": 32, "resource_name": group, "configuration_keys": None}],
        "include_synonyms": False, "include_documentation": False})["results"]
    alter = call(33, 2, {"resources": [{"resource_type": 2, "resource_name": topic,
                                        "configs": [{"name": "retention.ms", "value": "3600000"}]}],
                         "validate_only": True})["responses"]
    incremental = call(44, 1, {"resources": [
        {"resource_type": 2, "resource_name": topic,
         "configs": [{"name": "retention.ms", "config_operation": 0, "value": "3600000"}]},
        {"resource_type": 4, "resource_name": "",
         "configs": [{"name": "log.retention.ms", "config_operation": 0, "value": "3600000"}]},
        {"resource_type": 32, "resource_name": group,
         "configs": [{"name": "consumer.session.timeout.ms", "config_operation": 0, "value": "45000"}]}],
        "validate_only": True})["responses"]
    partitions = call(37, 3, {"topics": [{"name": topic, "count": 2, "assignments": None}], "timeout_ms": 10000,
                              "validate_only": True})["results"]
    delete_records = call(21, 2, {"topics": [{"name": topic, "partitions": [{"partition_index": 0, "offset": 0}]}],
                                  "timeout_ms": 10000})["topics"]
    log_dirs = call(35, 4, {"topics": None})
    move_dirs = call(34, 2, {"dirs": [{"path": "/nowhere", "topics": [{"name": topic, "partitions": [0]}]}]})
    elect = call(43, 2, {"election_type": 0, "topic_partitions": [{"topic": topic, "partitions": [0]}],
                         "timeout_ms": 10000})
    reassign = call(45, 0, {"timeout_ms": 10000, "topics": [
        {"name": topic, "partitions": [{"partition_index": 0, "replicas": None}]}]})
    list_reassign = call(46, 0, {"timeout_ms": 10000, "topics": None})
    features = call(57, 1, {"timeout_ms": 10000, "feature_updates": [], "validate_only": True})
    quorum = call(55, 2, {"topics": [{"topic_name": "__cluster_metadata", "partitions": [{"partition_index": 0}]}]})
    producers = call(61, 0, {"topics": [{"name": topic, "partition_indexes": [0]}]})["topics"]
    txns = call(65, 0, {"transactional_ids": [txn_id]})["transaction_states"]
    listed_txns = call(66, 1, {"state_filters": [], "producer_id_filters": [], "duration_filter": -1})
    quotas = call(48, 1, {"components": [], "strict": False})
    alter_quotas = call(49, 1, {"entries": [{"entity": [{"entity_type": "user", "entity_name": "nobody"}],
                                             "ops": [{"key": "producer_byte_rate", "value": 1000.0, "remove": False}]}],
                                "validate_only": True})["entries"]
    offset_delete = call(47, 0, {"group_id": group,
                                 "topics": [{"name": topic, "partitions": [{"partition_index": 0}]}]})
    markers = call(27, 1, {"markers": [{"producer_id": 999999, "producer_epoch": 0, "transaction_result": False,
                                        "topics": [{"name": topic, "partition_indexes": [0]}],
                                        "coordinator_epoch": 0}]})["markers"]
    config_resources = call(74, 1, {"resource_types": []})
    named = call(75, 0, {"topics": [{"name": topic}], "response_partition_limit": 100, "cursor": None})["topics"]
    everything = call(75, 0, {"topics": [], "response_partition_limit": 2000, "cursor": None})["topics"]
    cluster = call(60, 1, {"include_cluster_authorized_operations": True, "endpoint_type": 1})
    idempotent = call(22, 4, {"transactional_id": None, "transaction_timeout_ms": 60000, "producer_id": -1,
                              "producer_epoch": -1})
    # a leave of a member that never joined: refused, else answered by the coordinator
    heartbeat = call(68, 0, {"group_id": group, "member_id": "never-joined-member-00", "member_epoch": -1,
                             "instance_id": None, "rack_id": None, "rebalance_timeout_ms": -1,
                             "subscribed_topic_names": None, "server_assignor": None, "topic_partitions": None})
    epochs = call(23, 3, {"replica_id": -1, "topics": [
        {"topic": topic, "partitions": [{"partition": 0, "current_leader_epoch": -1, "leader_epoch": 0}]}]})
    consumer_groups = call(69, 0, {"group_ids": [group], "include_authorized_operations": False})["groups"]
    (classic_group,) = call(15, 5, {"groups": [group], "include_authorized_operations": True})["groups"]
    return {
        "InitProducerId": idempotent["error_code"],
        "ConsumerGroupHeartbeat": heartbeat["error_code"],
        "OffsetForLeaderEpoch": [p["error_code"] for t in epochs["topics"] for p in t["partitions"]],
        "ConsumerGroupDescribe": [g["error_code"] for g in consumer_groups],
        "DescribeConfigs": [r["error_code"] for r in configs],
        "AlterConfigs": [r["error_code"] for r in alter],
        "IncrementalAlterConfigs": [r["error_code"] for r in incremental],
        "CreatePartitions": [r["error_code"] for r in partitions],
        "DeleteRecords": [p["error_code"] for t in delete_records for p in t["partitions"]],
        "DescribeLogDirs": log_dirs["error_code"],
        "AlterReplicaLogDirs": [p["error_code"] for t in move_dirs["results"] for p in t["partitions"]],
        "ElectLeaders": [elect["error_code"]] + [p["error_code"] for t in elect["replica_election_results"]
                                                 for p in t["partition_result"]],
        "AlterPartitionReassignments": [reassign["error_code"]] + [p["error_code"] for t in reassign["responses"]
                                                                   for p in t["partitions"]],
        "ListPartitionReassignments": list_reassign["error_code"],
        "UpdateFeatures": features["error_code"],
        "DescribeQuorum": quorum["error_code"],
        "DescribeProducers": [p["error_code"] for t in producers for p in t["partitions"]],
        "DescribeTransactions": [t["error_code"] for t in txns],
        "ListTransactions": txn_id in [t["transactional_id"] for t in listed_txns["transaction_states"]],
        "DescribeClientQuotas": quotas["error_code"],
        "AlterClientQuotas": [e["error_code"] for e in alter_quotas],
        "OffsetDelete": offset_delete["error_code"],
        "WriteTxnMarkers": [p["error_code"] for m in markers for t in m["topics"] for p in t["partitions"]],
        "ListConfigResources": config_resources["error_code"],
        "DescribeTopicPartitions": ([t["error_code"] for t in named], topic in [t["name"] for t in everything]),
        "DescribeCluster": (cluster["error_code"], cluster["cluster_authorized_operations"]),
        "DescribeGroups": (classic_group["error_code"], classic_group["authorized_operations"]),
    }


def test_admin_and_config_apis_answer_kafkas_authorization_errors(acl_broker, pki):
    """A principal with no ACL (ANONYMOUS on the PLAINTEXT listener) is refused each admin and
    config API with the error Kafka answers, in the place Kafka puts it (unauthorized transactions
    and topics left out of listings); once granted the ACLs Kafka asks for, none is refused."""
    from tests.integration.clients import RawConnection
    suffix = uuid.uuid4().hex[:6]
    topic, group, txn_id = f"adm-{suffix}", f"adm-g-{suffix}", f"adm-tx-{suffix}"
    admin_settings = client_settings(acl_broker, pki, "SASL_SSL", "SCRAM-SHA-512", "admin", "admin-secret")
    admin = AdminClient(admin_settings)
    for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        future.result(15)
    producer = Producer({**admin_settings, "transactional.id": txn_id})
    producer.init_transactions(15)
    producer.begin_transaction()
    producer.produce(topic, b"x")
    producer.commit_transaction(15)

    with RawConnection(acl_broker.listeners["PLAINTEXT"]) as raw:
        refused = _admin_api_answers(raw, topic, group, txn_id)
    assert refused == {
        "InitProducerId": CLUSTER_REFUSED,  # no IDEMPOTENT_WRITE on the cluster, no WRITE on any topic
        "ConsumerGroupHeartbeat": GROUP_REFUSED,
        "OffsetForLeaderEpoch": [TOPIC_REFUSED],
        "ConsumerGroupDescribe": [GROUP_REFUSED],
        "DescribeConfigs": [TOPIC_REFUSED, CLUSTER_REFUSED, GROUP_REFUSED],
        "AlterConfigs": [TOPIC_REFUSED],
        "IncrementalAlterConfigs": [TOPIC_REFUSED, CLUSTER_REFUSED, GROUP_REFUSED],
        "CreatePartitions": [TOPIC_REFUSED],
        "DeleteRecords": [TOPIC_REFUSED],
        "DescribeLogDirs": CLUSTER_REFUSED,
        "AlterReplicaLogDirs": [CLUSTER_REFUSED],
        "ElectLeaders": [CLUSTER_REFUSED, CLUSTER_REFUSED],
        "AlterPartitionReassignments": [CLUSTER_REFUSED, CLUSTER_REFUSED],
        "ListPartitionReassignments": CLUSTER_REFUSED,
        "UpdateFeatures": CLUSTER_REFUSED,
        "DescribeQuorum": CLUSTER_REFUSED,
        "DescribeProducers": [TOPIC_REFUSED],
        "DescribeTransactions": [TXN_REFUSED],
        "ListTransactions": False,
        "DescribeClientQuotas": CLUSTER_REFUSED,
        "AlterClientQuotas": [CLUSTER_REFUSED],
        "OffsetDelete": GROUP_REFUSED,
        "WriteTxnMarkers": [CLUSTER_REFUSED],
        "ListConfigResources": CLUSTER_REFUSED,
        "DescribeTopicPartitions": ([TOPIC_REFUSED], False),
        "DescribeCluster": (0, 0),  # never refused; no cluster operation authorized
        "DescribeGroups": (GROUP_REFUSED, -2147483648),  # no operations where the group is refused
    }

    grants = [(ResourceType.TOPIC, topic, AclOperation.ALL), (ResourceType.GROUP, group, AclOperation.ALL),
              (ResourceType.TRANSACTIONAL_ID, txn_id, AclOperation.DESCRIBE),
              (ResourceType.BROKER, "kafka-cluster", AclOperation.ALTER),
              (ResourceType.BROKER, "kafka-cluster", AclOperation.ALTER_CONFIGS)]
    bindings = [AclBinding(rtype, name, ResourcePatternType.LITERAL, "User:ANONYMOUS", "*", op,
                           AclPermissionType.ALLOW) for rtype, name, op in grants]
    for future in admin.create_acls(bindings).values():
        future.result(15)
    try:
        with RawConnection(acl_broker.listeners["PLAINTEXT"]) as raw:
            allowed = _admin_api_answers(raw, topic, group, txn_id)
    finally:
        anonymous = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, "User:ANONYMOUS", None,
                                     AclOperation.ANY, AclPermissionType.ANY)
        for future in admin.delete_acls([anonymous]).values():
            future.result(15)
    for api_name, answer in allowed.items():
        codes = answer if isinstance(answer, list) else [answer] if isinstance(answer, int) else []
        assert not REFUSALS & set(codes), (api_name, answer)
    assert allowed["OffsetForLeaderEpoch"] == [0]
    assert allowed["InitProducerId"] == 0  # WRITE on one topic is enough for an idempotent producer
    assert allowed["DescribeConfigs"] == [0, 0, 0] and allowed["CreatePartitions"] == [0]
    assert allowed["DeleteRecords"] == [0] and allowed["DescribeProducers"] == [0]
    assert allowed["DescribeTransactions"] == [0] and allowed["ListTransactions"] is True
    assert allowed["DescribeTopicPartitions"] == ([0], True)
    # ALL on the group: every group operation (READ DELETE DESCRIBE DESCRIBE_CONFIGS ALTER_CONFIGS).
    assert allowed["DescribeGroups"] == (0, 3400)
    assert allowed["DescribeCluster"][1] & (1 << 7) and allowed["DescribeCluster"][1] & (1 << 11)  # ALTER(_CONFIGS)


def test_admin_client_config_and_topic_admin_need_their_acls(acl_broker, pki):
    """confluent-kafka's AdminClient as bob: describing and altering a topic's configs, adding
    partitions and deleting records are refused until the ACL Kafka asks for is granted."""
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions
    suffix = uuid.uuid4().hex[:6]
    topic = f"bob-{suffix}"
    admin = AdminClient(client_settings(acl_broker, pki, "SASL_SSL", "SCRAM-SHA-512", "admin", "admin-secret"))
    for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        future.result(15)
    bob = AdminClient(client_settings(acl_broker, pki, "SASL_SSL", "PLAIN", "bob", "bob-secret"))
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    change = ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[
        ConfigEntry("retention.ms", "7200000", incremental_operation=AlterConfigOpType.SET)])

    def error_of(futures: dict) -> int:
        (future,) = futures.values()
        try:
            future.result(15)
        except KafkaException as e:
            return e.args[0].code()
        return 0

    def attempts() -> dict[str, int]:
        return {"describe": error_of(bob.describe_configs([resource])),
                "alter": error_of(bob.incremental_alter_configs([change])),
                "partitions": error_of(bob.create_partitions([NewPartitions(topic, 2)], validate_only=True)),
                "delete": error_of(bob.delete_records([TopicPartition(topic, 0, 0)]))}

    def grant(*operations: AclOperation) -> None:
        bindings = [AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, "User:bob", "*", op,
                               AclPermissionType.ALLOW) for op in operations]
        for future in admin.create_acls(bindings).values():
            future.result(15)

    grant(AclOperation.DESCRIBE)  # so that Metadata shows bob the topic (the clients look it up first)
    refused = KafkaError.TOPIC_AUTHORIZATION_FAILED
    assert attempts() == {"describe": refused, "alter": refused, "partitions": refused, "delete": refused}
    grant(AclOperation.ALTER_CONFIGS, AclOperation.ALTER, AclOperation.DELETE)
    # ALTER_CONFIGS implies DESCRIBE_CONFIGS
    assert attempts() == {"describe": 0, "alter": 0, "partitions": 0, "delete": 0}
    described = bob.describe_configs([resource])[resource].result(15)
    assert described["retention.ms"].value == "7200000"


def test_kafka_configs_quotas_and_kafka_transactions_need_cluster_and_id_acls(acl_broker, pki, tmp_path):
    """Kafka's tools as bob: kafka-configs cannot set or describe client quotas (ALTER_CONFIGS /
    DESCRIBE_CONFIGS on the cluster) and kafka-transactions lists no transaction he may not
    DESCRIBE; as admin (a super user) both work."""
    from fastlog import kafka_dist as kd
    suffix = uuid.uuid4().hex[:6]
    topic, txn_id = f"tq-{suffix}", f"tq-tx-{suffix}"
    bootstrap = acl_broker.listeners["SASL_SSL"]
    admin_props = java_client_properties(tmp_path / "admin.properties", acl_broker, pki, "admin", "admin-secret")
    bob_props = java_client_properties(tmp_path / "bob.properties", acl_broker, pki, "bob", "bob-secret", "PLAIN")
    quota = ["--alter", "--add-config", "producer_byte_rate=1048576", "--entity-type", "users",
             "--entity-name", f"user-{suffix}"]
    refused = kd.run_class(kd.CONFIG_COMMAND, ["--bootstrap-server", bootstrap, "--command-config", bob_props,
                                               *quota], timeout=120)
    assert refused.returncode != 0 and "ClusterAuthorizationException" in refused.stdout + refused.stderr
    java_tool(kd.CONFIG_COMMAND, "--bootstrap-server", bootstrap, "--command-config", admin_props, *quota)
    describe = ["--describe", "--entity-type", "users", "--entity-name", f"user-{suffix}"]
    assert "producer_byte_rate=1048576" in java_tool(kd.CONFIG_COMMAND, "--bootstrap-server", bootstrap,
                                                     "--command-config", admin_props, *describe)
    refused = kd.run_class(kd.CONFIG_COMMAND, ["--bootstrap-server", bootstrap, "--command-config", bob_props,
                                               *describe], timeout=120)
    assert refused.returncode != 0 and "ClusterAuthorizationException" in refused.stdout + refused.stderr

    admin = AdminClient(client_settings(acl_broker, pki, "SASL_SSL", "SCRAM-SHA-512", "admin", "admin-secret"))
    for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        future.result(15)
    producer = Producer({**client_settings(acl_broker, pki, "SASL_SSL", "SCRAM-SHA-512", "admin", "admin-secret"),
                         "transactional.id": txn_id})
    producer.init_transactions(15)
    transactions = "org.apache.kafka.tools.TransactionsCommand"
    assert txn_id in java_tool(transactions, "--bootstrap-server", bootstrap, "--command-config", admin_props, "list")
    assert txn_id not in java_tool(transactions, "--bootstrap-server", bootstrap, "--command-config", bob_props,
                                   "list")
    refused = kd.run_class(transactions, ["--bootstrap-server", bootstrap, "--command-config", bob_props,
                                          "describe", "--transactional-id", txn_id], timeout=120)
    # refused already at FindCoordinator (DESCRIBE on the transactional id), as by Kafka
    assert refused.returncode != 0 and "authorization failure" in refused.stdout + refused.stderr


# -- the Java clients and franz-go over SSL and SASL_SSL (SCRAM-SHA-512) -------------------------
def _java_security_properties(path, pki, listener: str) -> str:
    """Java client settings for the SSL listener or SASL_SSL as admin with SCRAM-SHA-512."""
    lines = [f"security.protocol={listener}", "ssl.truststore.type=PEM",
             f"ssl.truststore.location={pki['ca'].ca_file}"]
    if listener == "SASL_SSL":
        lines += ["sasl.mechanism=SCRAM-SHA-512",
                  'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required '
                  'username="admin" password="admin-secret";']
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize("listener", ["SSL", "SASL_SSL"])
def test_java_console_producer_and_consumer_over_tls(secure_broker, pki, tmp_path, listener):
    """Kafka's console producer (idempotent by default) and consumer (in a group, committing)
    over TLS with a PEM truststore, and over SASL_SSL with SCRAM-SHA-512."""
    from fastlog import kafka_dist as kd
    topic = f"java-{listener.lower()}-{uuid.uuid4().hex[:6]}"
    bootstrap = secure_broker.listeners[listener]
    props = _java_security_properties(tmp_path / "client.properties", pki, listener)
    lines = [f"key-{i}:value {i}" for i in range(30)]
    proc = kd.run_class(kd.CONSOLE_PRODUCER, ["--bootstrap-server", bootstrap, "--topic", topic,
                                              "--command-config", props, "--reader-property", "parse.key=true",
                                              "--reader-property", "key.separator=:"],
                        input="".join(line + "\n" for line in lines), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = java_tool(kd.CONSOLE_CONSUMER, "--bootstrap-server", bootstrap, "--topic", topic,
                    "--command-config", props, "--group", f"{topic}-g", "--from-beginning",
                    "--max-messages", str(len(lines)), "--timeout-ms", "30000",
                    "--formatter-property", "print.key=true", "--formatter-property", "key.separator=:")
    assert out.splitlines() == lines
    # the group committed its offsets through the same listener
    admin = AdminClient(client_settings(secure_broker, pki, "PLAINTEXT"))
    from confluent_kafka import ConsumerGroupTopicPartitions
    committed = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(f"{topic}-g")])
    offsets = committed[f"{topic}-g"].result(15).topic_partitions
    assert [(tp.topic, tp.offset) for tp in offsets] == [(topic, len(lines))]


@pytest.fixture(scope="module")
def franzgo_binary(tmp_path_factory):
    import os
    import shutil
    from pathlib import Path
    go = shutil.which("go")
    assert go, "the Go toolchain is required for the franz-go tests"
    out = tmp_path_factory.mktemp("franzgo-sec") / "franzgo"
    env = {**os.environ, "GOFLAGS": "-mod=mod -buildvcs=false"}
    proc = subprocess.run([go, "build", "-o", str(out), "."], cwd=Path(__file__).parent / "franzgo", env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


@pytest.mark.parametrize("listener,mechanism", [("SSL", ""), ("SASL_SSL", "SCRAM-SHA-512"), ("SASL_SSL", "PLAIN")])
def test_franz_go_roundtrip_over_tls(secure_broker, pki, franzgo_binary, listener, mechanism):
    """franz-go (kgo + kadm) creates a topic, produces idempotently, consumes and checks every
    record over TLS, and over SASL_SSL with SCRAM-SHA-512 or PLAIN."""
    import json
    topic = f"franzgo-{listener.lower()}-{mechanism.lower()}-{uuid.uuid4().hex[:6]}"
    args = [str(franzgo_binary), "-bootstrap", secure_broker.listeners[listener], "-timeout", "60s",
            "-mode", "roundtrip", "-topic", topic, "-count", "2000", "-partitions", "3",
            "-tls-ca", str(pki["ca"].ca_file)]
    if mechanism:
        user, password = ("admin", "admin-secret") if mechanism.startswith("SCRAM") else ("alice", "alice-secret")
        args += ["-sasl", mechanism, "-user", user, "-password", password]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["errors"] == [] and proc.returncode == 0, (result["errors"], proc.stderr[-3000:])
    assert result["produced"] == result["consumed"] == 2000


def test_franz_go_is_refused_a_wrong_scram_password(secure_broker, pki, franzgo_binary):
    import json
    proc = subprocess.run([str(franzgo_binary), "-bootstrap", secure_broker.listeners["SASL_SSL"], "-timeout", "20s",
                           "-mode", "roundtrip", "-topic", f"franzgo-refused-{uuid.uuid4().hex[:6]}", "-count", "1",
                           "-tls-ca", str(pki["ca"].ca_file), "-sasl", "SCRAM-SHA-512", "-user", "admin",
                           "-password", "wrong"], capture_output=True, text=True, timeout=60)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 1 and any("SASL_AUTHENTICATION_FAILED" in e or "Authentication failed" in e
                                        for e in result["errors"]), result["errors"]
