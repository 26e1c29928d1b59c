"""A local Secret Manager: ``google.cloud.secretmanager.v1`` over gRPC, secrets held in memory.

Run it with ``python -m emulators.secret_manager --port N`` and point Switchyard at it with
``SWITCHYARD_SECRET_MANAGER_EMULATOR_HOST=127.0.0.1:N``; ``shared.gcp_clients`` then hands the
real client library an insecure channel to it.
"""
