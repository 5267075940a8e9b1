"""Storage: topics and partition logs on disk. Thin Python over the Rust engine (fastlog._native).

This package never imports fastlog.protocol: it speaks in offsets, bytes and Kafka error codes.
"""
