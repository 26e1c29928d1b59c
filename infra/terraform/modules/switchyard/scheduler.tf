# The platform's own Cloud Scheduler job: every minute it requests a sweep, and the sweeper
# function moves again, or fails past their time limit, the runs that stopped moving
# (shared/pipeline/sweeper.py). The jobs of cron agents are made at run time (locals.tf).
resource "google_cloud_scheduler_job" "sweep" {
  project     = var.project_id
  region      = var.region
  name        = local.sweep_job.name
  description = "Switchyard: move again, or fail, the runs that stopped moving."
  schedule    = local.sweep_job.schedule
  time_zone   = local.sweep_job.time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.pipeline[local.sweep_job.topic].id
    data       = base64encode(local.sweep_job.data)
  }

  depends_on = [google_pubsub_topic_iam_member.sweep_publisher]
}

# The job publishes as the Cloud Scheduler service agent, like the cron agents' jobs.
resource "google_pubsub_topic_iam_member" "sweep_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.pipeline[local.sweep_job.topic].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_project_service_identity.cloudscheduler.email}"
}
