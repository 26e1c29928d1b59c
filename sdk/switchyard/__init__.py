"""Switchyard's Python SDK: sync and async clients of the Switchyard API.

::

    from switchyard import Client, NotFoundError

    with Client(url, key) as client:
        run = client.create_run(agent_id, {"product": "widget"})
        run = client.wait_for_run(run.run_id, timeout_s=300)

The platform's own library is the ``shared`` package; this one only speaks HTTP to the API.
"""

from switchyard._core import RetryPolicy
from switchyard.async_client import AsyncClient
from switchyard.client import Client
from switchyard.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    SwitchyardError,
    TransportError,
)
from switchyard.models import (
    TERMINAL_STATUSES,
    Agent,
    AgentDetail,
    AgentVersion,
    ApiKey,
    AuditEvent,
    CreatedApiKey,
    EnvironmentChange,
    EnvironmentPointer,
    Environments,
    Page,
    Run,
    RunError,
    RunEvent,
    Trace,
    Usage,
)

__all__ = [
    "TERMINAL_STATUSES",
    "Agent",
    "AgentDetail",
    "AgentVersion",
    "ApiError",
    "ApiKey",
    "AsyncClient",
    "AuditEvent",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "CreatedApiKey",
    "EnvironmentChange",
    "EnvironmentPointer",
    "Environments",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimitedError",
    "RetryPolicy",
    "Run",
    "RunError",
    "RunEvent",
    "ServerError",
    "SwitchyardError",
    "Trace",
    "TransportError",
    "Usage",
]
