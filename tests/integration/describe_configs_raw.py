"""DescribeConfigs v4 over a raw socket (fastlog's pure-Python codec encodes and decodes), so a test sees every
field, config_type and documentation included, which client libraries hide."""
from __future__ import annotations

from clients import RawConnection

TOPIC, BROKER = 2, 4


def describe_configs(bootstrap: str, resources: list[tuple[int, str]], synonyms: bool = True,
                     documentation: bool = True, version: int = 4) -> list[dict]:
    body = {"resources": [{"resource_type": t, "resource_name": n, "configuration_keys": None}
                          for t, n in resources],
            "include_synonyms": synonyms, "include_documentation": documentation}
    return request(bootstrap, 32, version, body)["results"]


def request(bootstrap: str, api_key: int, version: int, body: dict) -> dict:
    """Send one request, return the decoded response body."""
    with RawConnection(bootstrap, timeout=30, client_id="configs-raw") as conn:
        return conn.call(api_key, version, body)
