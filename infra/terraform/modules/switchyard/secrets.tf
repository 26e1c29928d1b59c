# Platform secrets, declared without any version: a value never passes through Terraform or its
# state. `python -m cloudrun.api.bootstrap` adds the pepper's first version (docs/deploy.md).
resource "google_secret_manager_secret" "platform" {
  for_each = local.platform_secrets

  project   = var.project_id
  secret_id = each.key
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret_iam_member" "platform_accessor" {
  for_each = merge([
    for secret, config in local.platform_secrets : {
      for identity in config.accessors : "${secret}:${identity}" => { secret = secret, identity = identity }
    }
  ]...)

  project   = var.project_id
  secret_id = google_secret_manager_secret.platform[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.runtime[each.value.identity].email}"
}
