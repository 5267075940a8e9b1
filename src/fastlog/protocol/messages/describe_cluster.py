"""DescribeCluster (API key 60): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 60 DescribeCluster 0-2 flex=0+
  include_cluster_authorized_operations bool 0+        # want cluster ACL ops
  endpoint_type int8 1+ =1                             # brokers or controllers
  include_fenced_brokers bool 2+                       # want fenced too

response 60 DescribeCluster 0-2 flex=0+
  throttle_time_ms int32 0+                            # quota delay
  error_code int16 0+                                  # error
  error_message string 0+ null=0+ =null                # error text
  endpoint_type int8 1+ =1                             # as asked
  cluster_id string 0+                                 # cluster
  controller_id int32 0+ =-1                           # controller node
  brokers []DescribeClusterBroker 0+                   # this node
    broker_id int32 0+                                 # node id
    host string 0+                                     # address
    port int32 0+                                      # port
    rack string 0+ null=0+ =null                       # rack
    is_fenced bool 2+                                  # fenced
  cluster_authorized_operations int32 0+ =-2147483648  # allowed cluster ops bitfield
"""
