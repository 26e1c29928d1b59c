"""The ``google.cloud.tasks.v2.CloudTasks`` gRPC service, mapped onto the store and dispatcher.

Requests and responses are the proto-plus classes google-cloud-tasks ships, so the real
``tasks_v2.CloudTasksClient`` talks to this server unchanged (see ``shared/gcp_clients.py``).
Methods not listed here (IAM, batch and CMEK calls) answer UNIMPLEMENTED.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from google.cloud import tasks_v2
from google.protobuf import empty_pb2

from emulators.cloud_tasks.dispatcher import Dispatcher
from emulators.cloud_tasks.store import DEFAULT_DEDUP_WINDOW_S, TaskStore
from emulators.grpc_service import Method, generic_handler, start_server

SERVICE = "google.cloud.tasks.v2.CloudTasks"

_State = tasks_v2.Queue.State


def _methods(store: TaskStore, dispatcher: Dispatcher) -> dict[str, Method]:
    def list_queues(request: tasks_v2.ListQueuesRequest) -> tasks_v2.ListQueuesResponse:
        queues, token = store.list_queues(
            request.parent, request.filter, request.page_size, request.page_token
        )
        return tasks_v2.ListQueuesResponse(queues=queues, next_page_token=token)

    def list_tasks(request: tasks_v2.ListTasksRequest) -> tasks_v2.ListTasksResponse:
        tasks, token = store.list_tasks(
            request.parent, request.response_view, request.page_size, request.page_token
        )
        return tasks_v2.ListTasksResponse(tasks=tasks, next_page_token=token)

    def empty(action: Callable[[str], None]) -> Callable[[Any], empty_pb2.Empty]:
        def handler(request: Any) -> empty_pb2.Empty:
            action(request.name)
            return empty_pb2.Empty()

        return handler

    return {
        "CreateQueue": Method(
            lambda r: store.create_queue(r.parent, r.queue),
            tasks_v2.CreateQueueRequest,
            tasks_v2.Queue,
        ),
        "GetQueue": Method(
            lambda r: store.get_queue(r.name), tasks_v2.GetQueueRequest, tasks_v2.Queue
        ),
        "UpdateQueue": Method(
            lambda r: store.update_queue(r.queue, r.update_mask),
            tasks_v2.UpdateQueueRequest,
            tasks_v2.Queue,
        ),
        "ListQueues": Method(list_queues, tasks_v2.ListQueuesRequest, tasks_v2.ListQueuesResponse),
        "DeleteQueue": Method(
            empty(store.delete_queue), tasks_v2.DeleteQueueRequest, empty_pb2.Empty
        ),
        "PauseQueue": Method(
            lambda r: store.set_state(r.name, _State.PAUSED),
            tasks_v2.PauseQueueRequest,
            tasks_v2.Queue,
        ),
        "ResumeQueue": Method(
            lambda r: store.set_state(r.name, _State.RUNNING),
            tasks_v2.ResumeQueueRequest,
            tasks_v2.Queue,
        ),
        "PurgeQueue": Method(
            lambda r: store.purge_queue(r.name), tasks_v2.PurgeQueueRequest, tasks_v2.Queue
        ),
        "CreateTask": Method(
            lambda r: store.create_task(r.parent, r.task, r.response_view),
            tasks_v2.CreateTaskRequest,
            tasks_v2.Task,
        ),
        "GetTask": Method(
            lambda r: store.get_task(r.name, r.response_view),
            tasks_v2.GetTaskRequest,
            tasks_v2.Task,
        ),
        "ListTasks": Method(list_tasks, tasks_v2.ListTasksRequest, tasks_v2.ListTasksResponse),
        "DeleteTask": Method(empty(store.delete_task), tasks_v2.DeleteTaskRequest, empty_pb2.Empty),
        "RunTask": Method(
            lambda r: dispatcher.run_task(r.name, r.response_view),
            tasks_v2.RunTaskRequest,
            tasks_v2.Task,
        ),
    }


class CloudTasksEmulator:
    """The emulator: state, dispatcher and gRPC server, started and stopped together.

    Args:
        dedup_window_s: Seconds a deleted or executed task's name stays refused (Google: ~1 h).
        workers: Dispatch worker threads (attempts in flight across all queues).
    """

    def __init__(self, dedup_window_s: float = DEFAULT_DEDUP_WINDOW_S, workers: int = 64) -> None:
        self.store = TaskStore(dedup_window_s=dedup_window_s)
        self.dispatcher = Dispatcher(self.store, workers=workers)
        self._server: grpc.Server | None = None

    def start(self, host: str, port: int) -> int:
        """Start dispatching and serving.

        Args:
            host: Interface to bind, such as ``"127.0.0.1"``.
            port: TCP port, or 0 for any free port.

        Returns:
            The bound port.

        Raises:
            RuntimeError: When the port cannot be bound.
        """
        handler = generic_handler(SERVICE, _methods(self.store, self.dispatcher))
        self._server, bound = start_server([handler], host, port)
        self.dispatcher.start()
        return bound

    def stop(self, grace_s: float = 1.0) -> None:
        """Stop serving (letting calls in progress finish for ``grace_s``), then dispatching."""
        if self._server is not None:
            self._server.stop(grace_s).wait()
        self.dispatcher.stop()
