"""Config parsing: server.properties syntax, overrides, Kafka's defaults and our refusals."""
import pytest

from fastlog.config import Config, ConfigError, parse_properties


def test_properties_syntax():
    text = "# comment\n! also comment\nlisteners=PLAINTEXT://127.0.0.1:9999\nlog.dirs : /tmp/a,/tmp/b\n" \
           "num.partitions=\\\n  3\n\n"
    assert parse_properties(text) == {
        "listeners": "PLAINTEXT://127.0.0.1:9999", "log.dirs": "/tmp/a,/tmp/b", "num.partitions": "3"}


def test_file_then_overrides(tmp_path):
    f = tmp_path / "server.properties"
    f.write_text("num.partitions=3\nlog.dirs=%s\n" % (tmp_path / "data"))
    config = Config.load(str(f), ["num.partitions=6", "message.max.bytes=2000"])
    assert config.get_int("num.partitions") == 6
    assert config.get_int("message.max.bytes") == 2000
    assert config.data_dir == str(tmp_path / "data")


def test_kafka_defaults():
    config = Config()
    assert config.get_int("message.max.bytes") == 1048588
    assert config.get_int("socket.request.max.bytes") == 104857600
    assert config.get_int("log.segment.bytes") == 1073741824
    assert config.get_bool("auto.create.topics.enable") is True
    assert config.retention_ms == 168 * 3600 * 1000
    assert config.listener() == ("127.0.0.1", 9092)


def test_retention_precedence():
    assert Config({"log.retention.minutes": "5"}).retention_ms == 300000
    assert Config({"log.retention.minutes": "5", "log.retention.ms": "7"}).retention_ms == 7


def test_replication_factor_other_than_one_is_refused():
    with pytest.raises(ConfigError, match="default.replication.factor"):
        Config({"default.replication.factor": "3"})


def test_unknown_key_is_a_warning(caplog):
    Config({"some.future.key": "x"})
    assert "unknown config some.future.key" in caplog.text


def test_bad_values_are_errors():
    with pytest.raises(ConfigError):
        Config({"num.partitions": "many"})
    with pytest.raises(ConfigError):
        Config({"auto.create.topics.enable": "yes"})
    with pytest.raises(ConfigError):
        Config({"listeners": "127.0.0.1:9092"})


def test_listener_port_zero_and_advertised():
    config = Config({"listeners": "PLAINTEXT://0.0.0.0:0"})
    assert config.listener() == ("0.0.0.0", 0)
    assert config.advertised("0.0.0.0", 45678) == ("127.0.0.1", 45678)
    config = Config({"advertised.listeners": "PLAINTEXT://broker.example:19092"})
    assert config.advertised("127.0.0.1", 9092) == ("broker.example", 19092)
