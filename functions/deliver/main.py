"""Cloud Function ``deliver``: ``run-passed`` → artifact and webhook delivery tasks."""

from shared.pipeline.delivery import handle_run_passed
from shared.transport.functions import cloud_event_stage

deliver = cloud_event_stage("deliver", handle_run_passed)
