output "api_url" {
  description = "Public base URL of the API (SWITCHYARD_API_URL for clients and the smoke test)."
  value       = google_cloud_run_v2_service.service["api"].uri
}

output "executor_url" {
  description = "Base URL of the private executor: Cloud Tasks targets and the push endpoint."
  value       = local.executor_url
}

output "image_repository" {
  description = "Artifact Registry path the container images are pushed to: <repository>/<service>:<tag>."
  value       = "${google_artifact_registry_repository.images.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "function_sources_bucket" {
  description = "Bucket the zipped function sources are uploaded to."
  value       = google_storage_bucket.function_sources.name
}

output "buckets" {
  description = "Data buckets by suffix (shared.resources.BUCKET_SUFFIXES)."
  value       = { for suffix, bucket in google_storage_bucket.data : suffix => bucket.name }
}

output "service_accounts" {
  description = "Runtime service account email of each service and function."
  value       = { for name, account in google_service_account.runtime : name => account.email }
}

output "tasks_invoker_email" {
  description = "Identity of the OIDC tokens Cloud Tasks and the Pub/Sub push send to the executor."
  value       = google_service_account.tasks_invoker.email
}

output "onboarding_service_account" {
  description = "Service account to impersonate for `python -m cloudrun.api.bootstrap`."
  value       = google_service_account.onboarding.email
}

output "eventarc_triggers" {
  description = "Eventarc trigger of each function."
  value       = { for name, function in google_cloudfunctions2_function.stage : name => function.event_trigger[0].trigger }
}
