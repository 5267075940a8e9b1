"""AlterReplicaLogDirs (API key 34): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 34 AlterReplicaLogDirs 1-2 flex=2+
  dirs []AlterReplicaLogDir 0+                                # per target dir
    path string 0+                                            # absolute path
    topics []AlterReplicaLogDirTopic 0+                       # topics to move there
      name string 0+                                          # topic
      partitions []int32 0+                                   # partitions

response 34 AlterReplicaLogDirs 1-2 flex=2+
  throttle_time_ms int32 0+                                   # quota delay
  results []AlterReplicaLogDirTopicResult 0+                  # per topic
    topic_name string 0+                                      # topic
    partitions []AlterReplicaLogDirPartitionResult 0+         # per partition
      partition_index int32 0+                                # partition
      error_code int16 0+                                     # error
"""
