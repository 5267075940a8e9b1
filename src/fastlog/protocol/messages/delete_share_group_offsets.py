"""DeleteShareGroupOffsets (API key 92, KIP-932): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 92 DeleteShareGroupOffsets 0 flex=0+
  group_id string 0+                                    # group
  topics []DeleteShareGroupOffsetsRequestTopic 0+       # per topic
    topic_name string 0+                                # topic

response 92 DeleteShareGroupOffsets 0 flex=0+
  throttle_time_ms int32 0+                             # quota delay
  error_code int16 0+                                   # error
  error_message string 0+ null=0+ =null                 # why
  responses []DeleteShareGroupOffsetsResponseTopic 0+   # per topic
    topic_name string 0+                                # topic
    topic_id uuid 0+                                    # topic uuid
    error_code int16 0+                                 # error
    error_message string 0+ null=0+ =null               # why
"""
