"""Cross-service tests: the running system through the gateway (e2e) and a browser."""
