"""A local Cloud Tasks (v2) emulator: the gRPC API of ``google.cloud.tasks.v2`` over HTTP tasks.

It honours rate limits (token bucket), concurrency limits, schedule times, dispatch deadlines,
retry backoff and limits, ``Retry-After`` on 429/503, pause/resume/purge and task-name dedup,
so code that relies on queues for rate limiting behaves locally as on Google Cloud. For
at-least-once tests it can also send every attempt more than once (``--duplicate-dispatches``,
see ``dispatcher``).

Layers, from pure to wired:

- ``policy``: retry schedule, retry limits, token bucket (no threads, no clock).
- ``names``, ``queue_config``: resource names, defaults and UpdateQueue masks.
- ``delivery``: the HTTP request of an attempt and its outcome.
- ``queue_state``, ``store``: queues and tasks under one condition variable.
- ``dispatcher``: the scheduler thread and the worker pool.
- ``service``: the gRPC service; ``__main__`` serves it with :mod:`emulators.grpc_cli`.

Known differences from Google: backoff durations keep fractions of a second (Google truncates
to seconds); no 31-day task retention; no system throttling or ramp-up; queue-level
``http_target`` and App Engine tasks are refused as UNIMPLEMENTED; ``oauth_token`` adds no
header; OIDC tokens are unsigned.
"""
