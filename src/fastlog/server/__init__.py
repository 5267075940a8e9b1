"""Networking: the asyncio listener, connections with in-order responses, and the broker object."""
