"""What the transaction API handlers share."""
from fastlog.protocol.errors import ErrorCode

# KIP-588 added PRODUCER_FENCED with these versions; older clients get INVALID_PRODUCER_EPOCH for
# the same fencing, as Kafka answers them.
PRODUCER_FENCED_SINCE = {22: 4, 24: 2, 25: 2, 26: 2, 28: 3}


def for_version(error: int, api_key: int, api_version: int) -> int:
    if error == ErrorCode.PRODUCER_FENCED and api_version < PRODUCER_FENCED_SINCE[api_key]:
        return ErrorCode.INVALID_PRODUCER_EPOCH
    return error
