"""ApiVersions (API key 18): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 18 ApiVersions 0-5 flex=3+
  client_software_name string 3+                     # client library
  client_software_version string 3+                  # its version
  cluster_id string 5+ null=5+ =null                 # cluster the client expects
  node_id int32 5+ =-1                               # node the client expects

response 18 ApiVersions 0-5 flex=3+
  error_code int16 0+                                # error
  api_keys []ApiVersion 0+                           # APIs served
    api_key int16 0+                                 # API
    min_version int16 0+                             # lowest
    max_version int16 0+                             # highest
  throttle_time_ms int32 1+                          # quota delay
  supported_features []SupportedFeatureKey 3+ tag=0  # feature ranges
    name string 3+                                   # feature
    min_version int16 3+                             # lowest
    max_version int16 3+                             # highest
  finalized_features_epoch int64 3+ tag=1 =-1        # their version
  finalized_features []FinalizedFeatureKey 3+ tag=2  # cluster feature levels
    name string 3+                                   # feature
    max_version_level int16 3+                       # highest level
    min_version_level int16 3+                       # lowest level
  zk_migration_ready bool 3+ tag=3 =false            # ready for ZK migration
"""
