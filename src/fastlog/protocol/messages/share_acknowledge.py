"""ShareAcknowledge (API key 79, KIP-932): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 79 ShareAcknowledge 1-2 flex=0+
  group_id string 0+ null=0+ =null                  # group
  member_id string 0+ null=0+                       # member
  share_session_epoch int32 0+                      # session epoch, -1 close
  is_renew_ack bool 2+ =false                       # renew acks present
  topics []AcknowledgeTopic 0+                      # per topic
    topic_id uuid 0+                                # topic uuid
    partitions []AcknowledgePartition 0+            # per partition
      partition_index int32 0+                      # partition
      acknowledgement_batches []AcknowledgementBatch 0+  # acks
        first_offset int64 0+                       # first
        last_offset int64 0+                        # last (inclusive)
        acknowledge_types []int8 0+                 # 0 gap 1 accept 2 release 3 reject 4 renew

response 79 ShareAcknowledge 1-2 flex=0+
  throttle_time_ms int32 0+                         # quota delay
  error_code int16 0+                               # error
  error_message string 0+ null=0+ =null             # why
  acquisition_lock_timeout_ms int32 2+              # lock duration
  responses []ShareAcknowledgeTopicResponse 0+      # per topic
    topic_id uuid 0+                                # topic uuid
    partitions []PartitionData 0+                   # per partition
      partition_index int32 0+                      # partition
      error_code int16 0+                           # error
      error_message string 0+ null=0+ =null         # why
      current_leader LeaderIdAndEpoch 0+            # leader
        leader_id int32 0+                          # node
        leader_epoch int32 0+                       # epoch
  node_endpoints []NodeEndpoint 0+                  # leaders' addresses
    node_id int32 0+                                # node
    host string 0+                                  # host
    port int32 0+                                   # port
    rack string 0+ null=0+ =null                    # rack
"""
