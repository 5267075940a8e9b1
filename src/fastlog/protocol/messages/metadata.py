"""Metadata (API key 3): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 3 Metadata 0-13 flex=9+
  topics []MetadataRequestTopic 0+ null=1+               # wanted (null: all)
    topic_id uuid 10+                                    # topic uuid
    name string 0+ null=10+                              # topic
  allow_auto_topic_creation bool 4+ =true                # may create missing topics
  include_cluster_authorized_operations bool 8-10        # want cluster ACL ops
  include_topic_authorized_operations bool 8+            # want topic ACL ops

response 3 Metadata 0-13 flex=9+
  throttle_time_ms int32 3+                              # quota delay
  brokers []MetadataResponseBroker 0+                    # this node
    node_id int32 0+                                     # node
    host string 0+                                       # address
    port int32 0+                                        # port
    rack string 1+ null=1+ =null                         # rack
  cluster_id string 2+ null=2+ =null                     # cluster
  controller_id int32 1+ =-1                             # controller node
  topics []MetadataResponseTopic 0+                      # per topic
    error_code int16 0+                                  # error
    name string 0+ null=12+                              # topic
    topic_id uuid 10+                                    # topic uuid
    is_internal bool 1+ =false                           # internal topic
    partitions []MetadataResponsePartition 0+            # per partition
      error_code int16 0+                                # error
      partition_index int32 0+                           # partition
      leader_id int32 0+                                 # leader node
      leader_epoch int32 7+ =-1                          # leader epoch
      replica_nodes []int32 0+                           # replicas
      isr_nodes []int32 0+                               # in-sync replicas
      offline_replicas []int32 5+                        # replicas down
    topic_authorized_operations int32 8+ =-2147483648    # allowed topic ops bitfield
  cluster_authorized_operations int32 8-10 =-2147483648  # allowed cluster ops bitfield
  error_code int16 13+                                   # error
"""
