"""Service tests run under eventlet, as the services do (nameko's plugin no longer patches)."""

import eventlet

eventlet.monkey_patch()

import ssl  # noqa: E402

import urllib3.util.ssl_  # noqa: E402

# A pytest plugin imported urllib3 before the patch above, so it kept the unpatched
# ssl.SSLContext, from which botocore (the clients service's S3 store) builds its TLS context:
# under eventlet's patched ssl that recurses without end (eventlet issue 371). A service started
# by `nameko run` is patched before urllib3 is imported; give the tests the same class.
urllib3.util.ssl_.SSLContext = ssl.SSLContext
