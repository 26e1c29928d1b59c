"""The ``google.cloud.tasks.v2.CloudTasks`` gRPC service, mapped onto the store and dispatcher.

Requests and responses are the proto-plus classes google-cloud-tasks ships, so the real
``tasks_v2.CloudTasksClient`` talks to this server unchanged (see ``shared/gcp_clients.py``).
Methods not listed here (IAM, batch and CMEK calls) answer UNIMPLEMENTED.
"""

from __future__ import annotations

import grpc
from google.cloud import tasks_v2
from google.protobuf import empty_pb2

from emulators.cloud_tasks.dispatcher import Dispatcher
from emulators.cloud_tasks.store import TaskStore
from emulators.grpc_service import Method, generic_handler, returning_empty

SERVICE = "google.cloud.tasks.v2.CloudTasks"

_State = tasks_v2.Queue.State


def cloud_tasks_handler(store: TaskStore, dispatcher: Dispatcher) -> grpc.GenericRpcHandler:
    """A gRPC handler serving ``CloudTasks`` from ``store``, running tasks through ``dispatcher``.

    Args:
        store: Queues and tasks; one store per emulator process.
        dispatcher: Sends the store's due attempts; RunTask hands it one at once.

    Returns:
        A handler for :func:`emulators.grpc_service.start_server`.
    """

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

    methods = {
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
            returning_empty(lambda r: store.delete_queue(r.name)),
            tasks_v2.DeleteQueueRequest,
            empty_pb2.Empty,
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
        "DeleteTask": Method(
            returning_empty(lambda r: store.delete_task(r.name)),
            tasks_v2.DeleteTaskRequest,
            empty_pb2.Empty,
        ),
        "RunTask": Method(
            lambda r: dispatcher.run_task(r.name, r.response_view),
            tasks_v2.RunTaskRequest,
            tasks_v2.Task,
        ),
    }
    return generic_handler(SERVICE, methods)
