"""One module per Kafka API; see registry.py."""
