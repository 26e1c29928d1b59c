"""Cloud Function ``preflight``: ``run-requested`` → the pre-flight gate."""

from shared.pipeline.preflight import handle_run_requested
from shared.transport.functions import cloud_event_stage

preflight = cloud_event_stage("preflight", handle_run_requested)
