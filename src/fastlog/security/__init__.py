"""Security: TLS contexts of the listeners (tls), SASL authentication (sasl, scram), and the ACL
authorizer (acl). Kafka's model and config keys throughout; docs/security.md is the guide."""
