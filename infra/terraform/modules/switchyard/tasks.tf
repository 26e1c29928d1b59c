# The queues' rate limits, concurrency and retry configs are the per-tool rate limiting and the
# guard of the Vertex AI quota (DESIGN.md §1). A deleted queue's name cannot be reused for
# about seven days, so renaming a queue in shared/resources.py needs a new name, not a re-create.
resource "google_cloud_tasks_queue" "queue" {
  for_each = local.queues

  project  = var.project_id
  location = var.region
  name     = each.key

  rate_limits {
    max_dispatches_per_second = each.value.max_dispatches_per_second
    max_concurrent_dispatches = each.value.max_concurrent_dispatches
  }

  retry_config {
    max_attempts  = each.value.max_attempts
    min_backoff   = "${each.value.min_backoff_s}s"
    max_backoff   = "${each.value.max_backoff_s}s"
    max_doublings = each.value.max_doublings
  }

  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  depends_on = [google_project_service.enabled]
}

resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = merge([
    for queue, config in local.queues : {
      for identity in config.enqueuers : "${queue}:${identity}" => { queue = queue, identity = identity }
    }
  ]...)

  project  = var.project_id
  location = var.region
  name     = google_cloud_tasks_queue.queue[each.value.queue].name
  role     = "roles/cloudtasks.enqueuer"
  member   = "serviceAccount:${google_service_account.runtime[each.value.identity].email}"
}
