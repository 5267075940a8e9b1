"""ShareGroupHeartbeat (API key 76, KIP-932): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 76 ShareGroupHeartbeat 1 flex=0+
  group_id string 0+                                # group
  member_id string 0+                               # member (client-made)
  member_epoch int32 0+                             # 0 join, -1 leave
  rack_id string 0+ null=0+ =null                   # rack
  subscribed_topic_names []string 0+ null=0+ =null  # topics (null: unchanged)

response 76 ShareGroupHeartbeat 1 flex=0+
  throttle_time_ms int32 0+                         # quota delay
  error_code int16 0+                               # error
  error_message string 0+ null=0+ =null             # why
  member_id string 0+ null=0+ =null                 # member
  member_epoch int32 0+                             # member's epoch
  heartbeat_interval_ms int32 0+                    # next heartbeat in
  assignment Assignment 0+ null=0+ =null            # null: unchanged
    topic_partitions []TopicPartitions 0+           # assigned
      topic_id uuid 0+                              # topic uuid
      partitions []int32 0+                         # partitions
"""
