"""Coordination state kept out of the handlers: producer ids, consumer groups, committed offsets."""
