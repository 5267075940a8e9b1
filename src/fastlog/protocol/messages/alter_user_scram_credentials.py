"""AlterUserScramCredentials (API key 51): our tables of its request and response.

One field a line, its meaning after `#`; the format is described in protocol/schema.py.
"""

TABLE = """
request 51 AlterUserScramCredentials 0 flex=0+
  deletions []ScramCredentialDeletion 0+               # to delete
    name string 0+                                     # user
    mechanism int8 0+                                  # mechanism
  upsertions []ScramCredentialUpsertion 0+             # to set
    name string 0+                                     # user
    mechanism int8 0+                                  # mechanism
    iterations int32 0+                                # iterations
    salt bytes 0+                                      # salt
    salted_password bytes 0+                           # Hi(password, salt, i)

response 51 AlterUserScramCredentials 0 flex=0+
  throttle_time_ms int32 0+                            # quota delay
  results []AlterUserScramCredentialsResult 0+         # per user
    user string 0+                                     # user
    error_code int16 0+                                # error
    error_message string 0+ null=0+                    # error text
"""
