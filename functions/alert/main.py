"""Cloud Function ``alert``: ``run-stopped`` → tell the agent's owner why."""

from shared.pipeline.alerting import handle_run_stopped
from shared.transport.functions import cloud_event_stage

alert = cloud_event_stage("alert", handle_run_stopped)
