"""SaslAuthenticate (API key 36): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 36 SaslAuthenticate 0-2 flex=2+
  auth_bytes bytes 0+                                  # client token

response 36 SaslAuthenticate 0-2 flex=2+
  error_code int16 0+                                  # error
  error_message string 0+ null=0+                      # error text
  auth_bytes bytes 0+                                  # server token
  session_lifetime_ms int64 1+ =0                      # reauth deadline (0: none)
"""
