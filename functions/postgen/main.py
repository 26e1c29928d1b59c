"""Cloud Function ``postgen``: ``run-generated`` → the post-generation gate."""

from shared.pipeline.postgen import handle_run_generated
from shared.transport.functions import cloud_event_stage

postgen = cloud_event_stage("postgen", handle_run_generated)
