data "google_project" "this" {
  project_id = var.project_id
}

locals {
  apis = [
    "aiplatform.googleapis.com",       # Gemini on Vertex AI (executor)
    "artifactregistry.googleapis.com", # container images and function builds
    "cloudbuild.googleapis.com",       # Cloud Functions builds
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com", # cron triggers publish to run-requested
    "cloudtasks.googleapis.com",
    "eventarc.googleapis.com", # the functions' Pub/Sub triggers
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",  # OIDC tokens of the invoker service accounts
    "identitytoolkit.googleapis.com", # Firebase Authentication: people's ID tokens (api)
    "logging.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ]
}

resource "google_project_service" "enabled" {
  for_each = toset(local.apis)

  project = var.project_id
  service = each.key
  # Turning an API off would break whatever else in the project uses it.
  disable_on_destroy = false
}

# Service agents that Switchyard grants roles to; creating them explicitly makes the grants
# below work on the first apply, before either service has created its agent lazily.
resource "google_project_service_identity" "pubsub" {
  provider = google-beta

  project    = var.project_id
  service    = "pubsub.googleapis.com"
  depends_on = [google_project_service.enabled]
}

resource "google_project_service_identity" "cloudscheduler" {
  provider = google-beta

  project    = var.project_id
  service    = "cloudscheduler.googleapis.com"
  depends_on = [google_project_service.enabled]
}
