"""CreateTopics (API key 19): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 19 CreateTopics 2-7 flex=5+
  topics []CreatableTopic 0+                     # per topic
    name string 0+                               # topic
    num_partitions int32 0+                      # partitions (-1: default)
    replication_factor int16 0+                  # copies (-1: default)
    assignments []CreatableReplicaAssignment 0+  # partition -> replicas
      partition_index int32 0+                   # partition
      broker_ids []int32 0+                      # replica nodes
    configs []CreatableTopicConfig 0+            # explicit configs
      name string 0+                             # config
      value string 0+ null=0+                    # value
  timeout_ms int32 0+ =60000                     # time limit
  validate_only bool 1+ =false                   # check, don't do

response 19 CreateTopics 2-7 flex=5+
  throttle_time_ms int32 2+                      # quota delay
  topics []CreatableTopicResult 0+               # per topic
    name string 0+                               # topic
    topic_id uuid 7+                             # topic uuid
    error_code int16 0+                          # error
    error_message string 1+ null=0+              # error text
    topic_config_error_code int16 5+ tag=0       # configs error
    num_partitions int32 5+ =-1                  # partitions (-1: default)
    replication_factor int16 5+ =-1              # copies (-1: default)
    configs []CreatableTopicConfigs 5+ null=5+   # resulting configs
      name string 5+                             # config
      value string 5+ null=5+                    # value
      read_only bool 5+                          # cannot be changed
      config_source int8 5+ =-1                  # where the value comes from
      is_sensitive bool 5+                       # value hidden
"""
