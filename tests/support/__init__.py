"""The stack tests' harness: infrastructure (databases, vhost, ports), a captured mailbox, an
API client and the running system."""
