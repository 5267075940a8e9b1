"""DescribeQuorum (API key 55): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 55 DescribeQuorum 0-2 flex=0+
  topics []TopicData 0+                        # wanted
    topic_name string 0+                       # topic (__cluster_metadata)
    partitions []PartitionData 0+              # wanted partitions
      partition_index int32 0+                 # partition

response 55 DescribeQuorum 0-2 flex=0+
  error_code int16 0+                          # error
  error_message string 2+ null=2+              # error text
  topics []TopicData 0+                        # per topic
    topic_name string 0+                       # topic
    partitions []PartitionData 0+              # per partition
      partition_index int32 0+                 # partition
      error_code int16 0+                      # error
      error_message string 2+ null=2+          # error text
      leader_id int32 0+                       # quorum leader
      leader_epoch int32 0+                    # its epoch
      high_watermark int64 0+                  # high watermark
      current_voters []ReplicaState 0+         # voters
        replica_id int32 0+                    # node
        replica_directory_id uuid 2+           # its log dir id
        log_end_offset int64 0+                # its log end
        last_fetch_timestamp int64 1+ =-1      # last fetch time
        last_caught_up_timestamp int64 1+ =-1  # last caught up time
      observers []ReplicaState 0+              # observers
        replica_id int32 0+                    # node
        replica_directory_id uuid 2+           # its log dir id
        log_end_offset int64 0+                # its log end
        last_fetch_timestamp int64 1+ =-1      # last fetch time
        last_caught_up_timestamp int64 1+ =-1  # last caught up time
  nodes []Node 2+                              # quorum nodes
    node_id int32 2+                           # node
    listeners []Listener 2+                    # its endpoints
      name string 2+                           # listener name
      host string 2+                           # address
      port uint16 2+                           # port
"""
