"""DescribeLogDirs (API key 35): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 35 DescribeLogDirs 1-5 flex=2+
  topics []DescribableLogDirTopic 0+ null=0+       # wanted (null: all)
    topic string 0+                                # topic
    partitions []int32 0+                          # partitions

response 35 DescribeLogDirs 1-5 flex=2+
  throttle_time_ms int32 0+                        # quota delay
  error_code int16 3+                              # error
  results []DescribeLogDirsResult 0+               # per log dir
    error_code int16 0+                            # dir error
    log_dir string 0+                              # absolute path
    topics []DescribeLogDirsTopic 0+               # topics in it
      name string 0+                               # topic
      partitions []DescribeLogDirsPartition 0+     # per partition
        partition_index int32 0+                   # partition
        partition_size int64 0+                    # segment bytes
        offset_lag int64 0+                        # LEO minus high watermark
        is_future_key bool 0+                      # a log being moved here
    total_bytes int64 4+ =-1                       # volume size
    usable_bytes int64 4+ =-1                      # volume free space
    is_cordoned bool 5+ =false                     # closed to new partitions
"""
