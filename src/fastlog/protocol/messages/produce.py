"""Produce (API key 0): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 0 Produce 0-13 flex=9+
  transactional_id string 3+ null=3+ =null                 # txn id
  acks int16 0+                                            # replicas to wait for
  timeout_ms int32 0+                                      # wait for acks
  topic_data []TopicProduceData 0+                         # per topic
    name string 0-12                                       # topic
    topic_id uuid 13+                                      # topic uuid
    partition_data []PartitionProduceData 0+               # per partition
      index int32 0+                                       # partition
      records records 0+ null=0+                           # record batch

response 0 Produce 0-13 flex=9+
  responses []TopicProduceResponse 0+                      # per topic
    name string 0-12                                       # topic
    topic_id uuid 13+                                      # topic uuid
    partition_responses []PartitionProduceResponse 0+      # per partition
      index int32 0+                                       # partition
      error_code int16 0+                                  # error
      base_offset int64 0+                                 # first offset appended
      log_append_time_ms int64 2+ =-1                      # broker time (-1: create time)
      log_start_offset int64 5+ =-1                        # first offset kept
      record_errors []BatchIndexAndErrorMessage 8+         # per-batch errors
        batch_index int32 8+                               # failed batch's index
        batch_index_error_message string 8+ null=8+ =null  # why it failed
      error_message string 8+ null=8+ =null                # error text
      current_leader LeaderIdAndEpoch 10+ tag=0            # leader hint
        leader_id int32 10+ =-1                            # leader node
        leader_epoch int32 10+ =-1                         # leader epoch
  throttle_time_ms int32 1+ =0                             # quota delay
  node_endpoints []NodeEndpoint 10+ tag=0                  # leaders' addresses
    node_id int32 10+                                      # node
    host string 10+                                        # address
    port int32 10+                                         # port
    rack string 10+ null=10+ =null                         # rack
"""
