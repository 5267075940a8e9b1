"""ShareGroupDescribe (API key 77, KIP-932): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 77 ShareGroupDescribe 1 flex=0+
  group_ids []string 0+                             # groups
  include_authorized_operations bool 0+             # want ACL bits

response 77 ShareGroupDescribe 1 flex=0+
  throttle_time_ms int32 0+                         # quota delay
  groups []DescribedGroup 0+                        # per group
    error_code int16 0+                             # error
    error_message string 0+ null=0+ =null           # why
    group_id string 0+                              # group
    group_state string 0+                           # Empty/Stable/Dead
    group_epoch int32 0+                            # group epoch
    assignment_epoch int32 0+                       # target assignment epoch
    assignor_name string 0+                         # simple
    members []Member 0+                             # members
      member_id string 0+                           # member
      rack_id string 0+ null=0+ =null               # rack
      member_epoch int32 0+                         # member epoch
      client_id string 0+                           # client
      client_host string 0+                         # client address
      subscribed_topic_names []string 0+            # topics
      assignment Assignment 0+                      # assigned
        topic_partitions []TopicPartitions 0+       # per topic
          topic_id uuid 0+                          # topic uuid
          topic_name string 0+                      # topic
          partitions []int32 0+                     # partitions
    authorized_operations int32 0+ =-2147483648     # allowed ops bitfield
"""
