"""The JSON API under /api/v1: one blueprint per area, each registering its schemas and paths in
the OpenAPI document (see `gateway.api.openapi`)."""
