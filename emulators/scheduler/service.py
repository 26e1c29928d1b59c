"""The gRPC face of the Cloud Scheduler emulator: ``google.cloud.scheduler.v1.CloudScheduler``.

Serves the job methods with the message classes that google-cloud-scheduler ships.
"""

from __future__ import annotations

import grpc
from google.cloud.scheduler_v1 import types
from google.protobuf.empty_pb2 import Empty

from emulators.grpc_service import Method, generic_handler, paginate, returning_empty
from emulators.scheduler.jobs import JobStore

SERVICE = "google.cloud.scheduler.v1.CloudScheduler"
_MAX_PAGE_SIZE = 500  # ListJobsRequest.page_size maximum


def scheduler_handler(store: JobStore) -> grpc.GenericRpcHandler:
    """A gRPC handler serving ``CloudScheduler`` from ``store``.

    Args:
        store: Where the jobs live; a :class:`~emulators.scheduler.runner.JobRunner` fires them.

    Returns:
        A handler for :func:`emulators.grpc_service.start_server`.
    """

    def list_jobs(request: types.ListJobsRequest) -> types.ListJobsResponse:
        jobs = store.list_jobs(request.parent)
        page, token = paginate(jobs, request.page_size, request.page_token, _MAX_PAGE_SIZE)
        return types.ListJobsResponse(jobs=page, next_page_token=token)

    methods = {
        "CreateJob": Method(
            lambda r: store.create_job(r.parent, r.job), types.CreateJobRequest, types.Job
        ),
        "GetJob": Method(lambda r: store.get_job(r.name), types.GetJobRequest, types.Job),
        "ListJobs": Method(list_jobs, types.ListJobsRequest, types.ListJobsResponse),
        "UpdateJob": Method(
            lambda r: store.update_job(r.job, r.update_mask), types.UpdateJobRequest, types.Job
        ),
        "DeleteJob": Method(
            returning_empty(lambda r: store.delete_job(r.name)), types.DeleteJobRequest, Empty
        ),
        "PauseJob": Method(lambda r: store.pause_job(r.name), types.PauseJobRequest, types.Job),
        "ResumeJob": Method(lambda r: store.resume_job(r.name), types.ResumeJobRequest, types.Job),
        "RunJob": Method(lambda r: store.run_job(r.name), types.RunJobRequest, types.Job),
    }
    return generic_handler(SERVICE, methods)
