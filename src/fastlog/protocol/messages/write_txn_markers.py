"""WriteTxnMarkers (API key 27): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 27 WriteTxnMarkers 1-2 flex=1+
  markers []WritableTxnMarker 0+                  # per producer
    producer_id int64 0+                          # producer id
    producer_epoch int16 0+                       # producer epoch
    transaction_result bool 0+                    # commit (true) or abort
    topics []WritableTxnMarkerTopic 0+            # partitions to mark
      name string 0+                              # topic
      partition_indexes []int32 0+                # partitions
    coordinator_epoch int32 0+                    # coordinator epoch
    transaction_version int8 2+ =0                # the transaction's transaction.version

response 27 WriteTxnMarkers 1-2 flex=1+
  markers []WritableTxnMarkerResult 0+            # per producer
    producer_id int64 0+                          # producer id
    topics []WritableTxnMarkerTopicResult 0+      # per topic
      name string 0+                              # topic
      partitions []WritableTxnMarkerPartitionResult 0+  # per partition
        partition_index int32 0+                  # partition
        error_code int16 0+                       # error
"""
