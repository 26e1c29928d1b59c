"""Cloud Function ``chain``: ``run-finished`` → runs of the agents subscribed to its agent."""

from shared.transport.functions import cloud_event_stage
from shared.triggers.chain import handle_run_finished

chain = cloud_event_stage("chain", handle_run_finished)
