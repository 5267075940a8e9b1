"""ShareFetch (API key 78, KIP-932): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 78 ShareFetch 1-2 flex=0+
  group_id string 0+ null=0+ =null                  # group
  member_id string 0+ null=0+                       # member
  share_session_epoch int32 0+                      # 0 open, -1 close
  max_wait_ms int32 0+                              # long-poll limit
  min_bytes int32 0+                                # wait for this much
  max_bytes int32 0+ =2147483647                    # response limit
  max_records int32 1+                              # records limit
  batch_size int32 1+                               # records per acquired batch
  share_acquire_mode int8 2+ =0                     # 0 batch-optimized, 1 record-limit
  is_renew_ack bool 2+ =false                       # renew acks present
  topics []FetchTopic 0+                            # to fetch / acknowledge
    topic_id uuid 0+                                # topic uuid
    partitions []FetchPartition 0+                  # partitions
      partition_index int32 0+                      # partition
      acknowledgement_batches []AcknowledgementBatch 0+  # piggybacked acks
        first_offset int64 0+                       # first
        last_offset int64 0+                        # last (inclusive)
        acknowledge_types []int8 0+                 # 0 gap 1 accept 2 release 3 reject 4 renew
  forgotten_topics_data []ForgottenTopic 0+         # leave the session
    topic_id uuid 0+                                # topic uuid
    partitions []int32 0+                           # partitions

response 78 ShareFetch 1-2 flex=0+
  throttle_time_ms int32 0+                         # quota delay
  error_code int16 0+                               # error
  error_message string 0+ null=0+ =null             # why
  acquisition_lock_timeout_ms int32 1+              # lock duration
  responses []ShareFetchableTopicResponse 0+        # per topic
    topic_id uuid 0+                                # topic uuid
    partitions []PartitionData 0+                   # per partition
      partition_index int32 0+                      # partition
      error_code int16 0+                           # fetch error
      error_message string 0+ null=0+ =null         # why
      acknowledge_error_code int16 0+               # acknowledge error
      acknowledge_error_message string 0+ null=0+ =null  # why
      current_leader LeaderIdAndEpoch 0+            # leader
        leader_id int32 0+                          # node
        leader_epoch int32 0+                       # epoch
      records records 0+ null=0                     # record batches
      acquired_records []AcquiredRecords 0+         # the offsets acquired
        first_offset int64 0+                       # first
        last_offset int64 0+                        # last (inclusive)
        delivery_count int16 0+                     # delivery attempt
  node_endpoints []NodeEndpoint 0+                  # leaders' addresses
    node_id int32 0+                                # node
    host string 0+                                  # host
    port int32 0+                                   # port
    rack string 0+ null=0+ =null                    # rack
"""
