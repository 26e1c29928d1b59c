# The Cloud Run services: api (public; callers authenticate with API keys) and executor
# (private; only the invoker identity of Cloud Tasks and the Pub/Sub push may call it).
resource "google_cloud_run_v2_service" "service" {
  for_each = local.services

  project             = var.project_id
  location            = var.region
  name                = each.key
  labels              = local.labels
  deletion_protection = var.deletion_protection
  # Pub/Sub push and Cloud Tasks count as internal sources of the project; the API is public.
  ingress = each.value.public ? "INGRESS_TRAFFIC_ALL" : "INGRESS_TRAFFIC_INTERNAL_ONLY"
  # The OIDC audience the executor's callers use (the deterministic URL, see locals.tf).
  custom_audiences = each.key == "executor" ? [local.executor_url] : null

  template {
    service_account = google_service_account.runtime[each.key].email
    # Above the API's longest SSE stream (290 s) and the executor's ack deadline (120 s).
    timeout = "300s"
    # gunicorn serves `threads` requests at once per instance (the Dockerfile's CMD).
    max_instance_request_concurrency = each.value.threads

    scaling {
      min_instance_count = each.value.min_instances
      max_instance_count = each.value.max_instances
    }

    containers {
      image = each.value.image

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = "1"
          memory = each.value.memory
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = local.runtime_env
        content {
          name  = env.key
          value = env.value
        }
      }

      startup_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 2
        timeout_seconds   = 2
        failure_threshold = 15
      }

      liveness_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 30
        timeout_seconds   = 5
        failure_threshold = 3
      }
    }
  }

  depends_on = [google_project_service.enabled]
}

# The API is public: authentication is its own (API keys), so Cloud Run's IAM check lets all in.
resource "google_cloud_run_v2_service_iam_member" "public" {
  for_each = { for name, service in local.services : name => service if service.public }

  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.service[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloud_run_v2_service_iam_member" "executor_invoker" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.service["executor"].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.tasks_invoker.email}"
}
