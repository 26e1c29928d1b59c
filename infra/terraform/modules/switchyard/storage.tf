# Traces and artifacts: bucket_name(project, suffix) = "<project>-<suffix>" (shared/resources.py).
resource "google_storage_bucket" "data" {
  # checkov:skip=CKV_GCP_62: access logs go to Cloud Audit Logs (Data Access), the current mechanism; usage-log buckets are legacy
  for_each = local.buckets

  project                     = var.project_id
  name                        = "${var.project_id}-${each.key}"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection
  labels                      = local.labels

  versioning {
    enabled = true
  }

  # Retention: current objects are deleted after the retention period...
  lifecycle_rule {
    condition {
      age = each.value.retention_days
    }
    action {
      type = "Delete"
    }
  }

  # ...and the versions a rewrite or a deletion leaves behind a week later.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 7
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_iam_member" "writer" {
  for_each = merge([
    for suffix, config in local.buckets : {
      for identity in config.writers : "${suffix}:${identity}" => { suffix = suffix, identity = identity }
    }
  ]...)

  bucket = google_storage_bucket.data[each.value.suffix].name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.runtime[each.value.identity].email}"
}

resource "google_storage_bucket_iam_member" "reader" {
  for_each = merge([
    for suffix, config in local.buckets : {
      for identity in config.readers : "${suffix}:${identity}" => { suffix = suffix, identity = identity }
    }
  ]...)

  bucket = google_storage_bucket.data[each.value.suffix].name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.runtime[each.value.identity].email}"
}

# Deploy-only: the zipped function sources Cloud Build uploads (deploy/assemble_functions.py).
# Object names carry a content hash, so a source is never overwritten; old ones stay for rollback
# and for the rebuilds Cloud Functions runs itself (runtime security updates).
resource "google_storage_bucket" "function_sources" {
  # checkov:skip=CKV_GCP_62: access logs go to Cloud Audit Logs (Data Access), the current mechanism; usage-log buckets are legacy
  project                     = var.project_id
  name                        = "${var.project_id}-switchyard-function-sources"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection
  labels                      = local.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.enabled]
}

# Container images of the Cloud Run services; tags are commit SHAs and never move.
resource "google_artifact_registry_repository" "images" {
  # checkov:skip=CKV_GCP_84: Google-managed encryption at rest; CMEK needs a Cloud KMS key per region and service-agent grants, an organisation's choice this module leaves out
  project       = var.project_id
  location      = var.region
  repository_id = "switchyard"
  format        = "DOCKER"
  description   = "Switchyard container images (cloudbuild.yaml pushes them)."
  labels        = local.labels

  docker_config {
    immutable_tags = true
  }

  depends_on = [google_project_service.enabled]
}
