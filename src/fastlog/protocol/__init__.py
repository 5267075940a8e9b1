"""Kafka wire protocol: schema tables (schema.py), error codes (errors.py), codec (codec.py)."""
