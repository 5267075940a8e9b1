"""ConsumerGroupHeartbeat (API key 68, KIP-848): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 68 ConsumerGroupHeartbeat 0-1 flex=0+
  group_id string 0+                                # group
  member_id string 0+                               # member (client-made from v1)
  member_epoch int32 0+                             # 0 join, -1 leave, -2 static leave
  instance_id string 0+ null=0+ =null               # static member id
  rack_id string 0+ null=0+ =null                   # rack
  rebalance_timeout_ms int32 0+ =-1                 # revocation deadline
  subscribed_topic_names []string 0+ null=0+ =null  # topics (null: unchanged)
  subscribed_topic_regex string 1+ null=1+ =null    # RE2/J regex (null: unchanged)
  server_assignor string 0+ null=0+ =null           # uniform/range
  topic_partitions []TopicPartitions 0+ null=0+ =null  # owned (null: unchanged)
    topic_id uuid 0+                                # topic uuid
    partitions []int32 0+                           # partitions

response 68 ConsumerGroupHeartbeat 0-1 flex=0+
  throttle_time_ms int32 0+                         # quota delay
  error_code int16 0+                               # error
  error_message string 0+ null=0+ =null             # why
  member_id string 0+ null=0+ =null                 # member
  member_epoch int32 0+                             # member's epoch
  heartbeat_interval_ms int32 0+                    # next heartbeat in
  assignment Assignment 0+ null=0+ =null            # null: unchanged
    topic_partitions []TopicPartitions 0+           # usable now
      topic_id uuid 0+                              # topic uuid
      partitions []int32 0+                         # partitions
"""
