"""Fetch (API key 1): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 1 Fetch 4-18 flex=12+
  cluster_id string 12+ null=12+ tag=0 =null                # expected cluster
  replica_id int32 0-14 =-1                                 # follower (-1: consumer)
  replica_state ReplicaState 15+ tag=1                      # follower's state
    replica_id int32 15+ =-1                                # follower (-1: consumer)
    replica_epoch int64 15+ =-1                             # follower's broker epoch
  max_wait_ms int32 0+                                      # long-poll wait
  min_bytes int32 0+                                        # wait for this much
  max_bytes int32 3+ =0x7fffffff                            # response size cap
  isolation_level int8 4+ =0                                # read committed?
  session_id int32 7+ =0                                    # fetch session
  session_epoch int32 7+ =-1                                # fetch session sequence
  topics []FetchTopic 0+                                    # per topic
    topic string 0-12                                       # topic
    topic_id uuid 13+                                       # topic uuid
    partitions []FetchPartition 0+                          # per partition
      partition int32 0+                                    # partition
      current_leader_epoch int32 9+ =-1                     # client's leader epoch
      fetch_offset int64 0+                                 # read from
      last_fetched_epoch int32 12+ =-1                      # epoch of fetch_offset-1
      log_start_offset int64 5+ =-1                         # follower's log start
      partition_max_bytes int32 0+                          # partition size cap
      replica_directory_id uuid 17+ tag=0                   # follower's log dir
      high_watermark int64 18+ tag=1 =9223372036854775807   # follower's high watermark
  forgotten_topics_data []ForgottenTopic 7+                 # drop from session
    topic string 7-12                                       # topic
    topic_id uuid 13+                                       # topic uuid
    partitions []int32 7+                                   # partitions to drop
  rack_id string 11+ =""                                    # client's rack

response 1 Fetch 4-18 flex=12+
  throttle_time_ms int32 1+                                 # quota delay
  error_code int16 7+                                       # session error
  session_id int32 7+ =0                                    # fetch session
  responses []FetchableTopicResponse 0+                     # per topic
    topic string 0-12                                       # topic
    topic_id uuid 13+                                       # topic uuid
    partitions []PartitionData 0+                           # per partition
      partition_index int32 0+                              # partition
      error_code int16 0+                                   # error
      high_watermark int64 0+                               # end of committed records
      last_stable_offset int64 4+ =-1                       # first open txn offset
      log_start_offset int64 5+ =-1                         # first offset kept
      diverging_epoch EpochEndOffset 12+ tag=0              # where the log diverges
        epoch int32 12+ =-1                                 # leader epoch
        end_offset int64 12+ =-1                            # epoch's end
      current_leader LeaderIdAndEpoch 12+ tag=1             # leader hint
        leader_id int32 12+ =-1                             # leader node
        leader_epoch int32 12+ =-1                          # leader epoch
      snapshot_id SnapshotId 12+ tag=2                      # snapshot to fetch
        end_offset int64 0+ =-1                             # snapshot's end
        epoch int32 0+ =-1                                  # snapshot's epoch
      aborted_transactions []AbortedTransaction 4+ null=4+  # aborted txns in range
        producer_id int64 4+                                # producer id
        first_offset int64 4+                               # txn's first offset
      preferred_read_replica int32 11+ =-1                  # fetch from (-1: here)
      records records 0+ null=0+                            # record batches
  node_endpoints []NodeEndpoint 16+ tag=0                   # leaders' addresses
    node_id int32 16+                                       # node
    host string 16+                                         # address
    port int32 16+                                          # port
    rack string 16+ null=16+ =null                          # rack
"""
