"""DescribeUserScramCredentials (API key 50): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 50 DescribeUserScramCredentials 0 flex=0+
  users []UserName 0+ null=0+                          # users (null: all)
    name string 0+                                     # user

response 50 DescribeUserScramCredentials 0 flex=0+
  throttle_time_ms int32 0+                            # quota delay
  error_code int16 0+                                  # error
  error_message string 0+ null=0+                      # error text
  results []DescribeUserScramCredentialsResult 0+      # per user
    user string 0+                                     # user
    error_code int16 0+                                # error
    error_message string 0+ null=0+                    # error text
    credential_infos []CredentialInfo 0+               # credentials
      mechanism int8 0+                                # 1: SHA-256, 2: SHA-512
      iterations int32 0+                              # iterations
"""
