"""Service tests run under eventlet, as the services do (nameko's plugin no longer patches)."""

import eventlet

eventlet.monkey_patch()
