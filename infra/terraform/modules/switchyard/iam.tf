# One service account per service and function, each with only the roles its code needs. Grants
# on a single resource (a topic, a queue, a bucket, a secret) live next to that resource; the
# project-level ones are here.

resource "google_service_account" "runtime" {
  for_each = toset(concat(keys(local.services), local.functions))

  project      = var.project_id
  account_id   = "switchyard-${each.key}"
  display_name = "Switchyard ${each.key}"
  description  = "Runtime identity of the ${each.key} ${contains(keys(local.services), each.key) ? "Cloud Run service" : "Cloud Function"}."
}

# The identity whose OIDC tokens Cloud Tasks and the Pub/Sub push present to the private executor
# (SWITCHYARD_TASKS_INVOKER_EMAIL); it can do nothing but invoke the executor.
resource "google_service_account" "tasks_invoker" {
  project      = var.project_id
  account_id   = "switchyard-invoker"
  display_name = "Switchyard executor invoker"
  description  = "OIDC identity of Cloud Tasks and Pub/Sub push requests to the executor."
}

# The identity of the functions' Eventarc triggers; it can do nothing but invoke the functions.
resource "google_service_account" "eventarc_trigger" {
  project      = var.project_id
  account_id   = "switchyard-eventarc"
  display_name = "Switchyard Eventarc triggers"
  description  = "Identity the Eventarc triggers invoke the pipeline functions with."
}

# The identity Cloud Build builds the functions' sources with.
resource "google_service_account" "function_builder" {
  project      = var.project_id
  account_id   = "switchyard-builder"
  display_name = "Switchyard function builder"
  description  = "Builds the Cloud Functions' sources into images."
}

# The identity operators impersonate to onboard an organisation (cloudrun.api.bootstrap).
resource "google_service_account" "onboarding" {
  project      = var.project_id
  account_id   = "switchyard-onboarding"
  display_name = "Switchyard onboarding"
  description  = "Creates organisations, API keys and webhook signing secrets."
}

# --- Firestore ---------------------------------------------------------------------------------

resource "google_project_iam_member" "firestore" {
  for_each = google_service_account.runtime

  project = var.project_id
  role    = contains(local.firestore_readers, each.key) ? "roles/datastore.viewer" : "roles/datastore.user"
  member  = "serviceAccount:${each.value.email}"
}

resource "google_project_iam_member" "onboarding_firestore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.onboarding.email}"
}

# --- Vertex AI: the identities that call the model -----------------------------------------------

resource "google_project_iam_member" "vertex" {
  for_each = toset(local.model_callers)

  project = var.project_id
  role    = "roles/aiplatform.user"
  member  = "serviceAccount:${google_service_account.runtime[each.key].email}"
}

# --- Firebase Authentication: the API checks ID tokens for revocation and finds members by email -

resource "google_project_iam_member" "firebase_auth_reader" {
  project = var.project_id
  role    = "roles/firebaseauth.viewer"
  member  = "serviceAccount:${google_service_account.runtime["api"].email}"
}

# --- Cloud Tasks and Pub/Sub push: who may mint the invoker's tokens ---------------------------

# Creating a task with an OIDC token of the invoker needs iam.serviceAccounts.actAs on it.
resource "google_service_account_iam_member" "enqueuers_act_as_invoker" {
  for_each = toset(distinct(flatten([for queue in local.queues : queue.enqueuers])))

  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.runtime[each.key].email}"
}

# The Pub/Sub service agent signs the OIDC tokens of push subscriptions (the executor's) and of
# the Eventarc-created subscriptions (the functions').
resource "google_service_account_iam_member" "pubsub_mints_invoker_tokens" {
  for_each = {
    invoker  = google_service_account.tasks_invoker.name
    eventarc = google_service_account.eventarc_trigger.name
  }

  service_account_id = each.value
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

# --- Secret Manager: secrets created at run time (local.runtime_secrets) ------------------------

locals {
  identity_emails = merge(
    { for name, account in google_service_account.runtime : name => account.email },
    { onboarding = google_service_account.onboarding.email },
  )
  # Secret and version names extend the secret id, so a prefix condition covers both.
  runtime_secret_conditions = {
    for kind, secret in local.runtime_secrets :
    kind => "resource.name.startsWith(\"projects/${data.google_project.this.number}/secrets/${split("{id}", secret.pattern)[0]}\")"
  }
  runtime_secret_grants = merge(flatten([
    for kind, secret in local.runtime_secrets : concat(
      [for identity in secret.readers : {
        "${kind}:${identity}:accessor" = { kind = kind, identity = identity, role = "roles/secretmanager.secretAccessor" }
      }],
      # Metadata only (no values): SecretManagerStore lists the versions when the newest one
      # is disabled, to read the newest enabled one.
      [for identity in secret.readers : {
        "${kind}:${identity}:viewer" = { kind = kind, identity = identity, role = "roles/secretmanager.viewer" }
      }],
      [for identity in secret.creators : {
        "${kind}:${identity}:adder" = { kind = kind, identity = identity, role = "roles/secretmanager.secretVersionAdder" }
      }],
    )
  ])...)
  secret_creators = toset(flatten([for secret in local.runtime_secrets : secret.creators]))
}

resource "google_project_iam_member" "runtime_secret" {
  for_each = local.runtime_secret_grants

  project = var.project_id
  role    = each.value.role
  member  = "serviceAccount:${local.identity_emails[each.value.identity]}"

  condition {
    title       = "${replace(each.value.kind, "_", "-")}-secrets-only"
    description = "Only the secrets named ${local.runtime_secrets[each.value.kind].pattern}."
    expression  = local.runtime_secret_conditions[each.value.kind]
  }
}

# secrets.create is checked on the project, where a condition on the secret's name cannot apply;
# creating a secret grants no access to it or to any other, so the role holds only that.
resource "google_project_iam_custom_role" "secret_creator" {
  project     = var.project_id
  role_id     = "switchyardSecretCreator"
  title       = "Switchyard secret creator"
  description = "Create Secret Manager secrets (no access to their values)."
  permissions = ["secretmanager.secrets.create"]
}

resource "google_project_iam_member" "secret_creator" {
  for_each = local.secret_creators

  project = var.project_id
  role    = google_project_iam_custom_role.secret_creator.id
  member  = "serviceAccount:${local.identity_emails[each.key]}"
}

# --- Onboarding --------------------------------------------------------------------------------

# Bootstrap reads the pepper, and adds its first version when it has none.
resource "google_secret_manager_secret_iam_member" "onboarding_pepper" {
  for_each = toset(["roles/secretmanager.secretVersionAdder", "roles/secretmanager.secretAccessor"])

  project   = var.project_id
  secret_id = google_secret_manager_secret.platform["api-key-pepper"].secret_id
  role      = each.key
  member    = "serviceAccount:${google_service_account.onboarding.email}"
}

resource "google_service_account_iam_member" "operators_impersonate_onboarding" {
  for_each = toset(var.operators)

  service_account_id = google_service_account.onboarding.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = each.key
}

# --- Cloud Scheduler: the jobs of cron agents ----------------------------------------------------

resource "google_project_iam_custom_role" "scheduler_jobs" {
  project     = var.project_id
  role_id     = "switchyardSchedulerJobs"
  title       = "Switchyard scheduler jobs"
  description = "Create, read, update, pause, resume and delete Cloud Scheduler jobs."
  permissions = [
    "cloudscheduler.jobs.create",
    "cloudscheduler.jobs.delete",
    "cloudscheduler.jobs.enable",
    "cloudscheduler.jobs.get",
    "cloudscheduler.jobs.pause",
    "cloudscheduler.jobs.update",
  ]
}

resource "google_project_iam_member" "scheduler_jobs" {
  for_each = toset(local.scheduler_job_managers)

  project = var.project_id
  role    = google_project_iam_custom_role.scheduler_jobs.id
  member  = "serviceAccount:${local.identity_emails[each.key]}"
}

resource "google_project_iam_custom_role" "scheduler_job_deleter" {
  project     = var.project_id
  role_id     = "switchyardSchedulerJobDeleter"
  title       = "Switchyard scheduler job deleter"
  description = "Delete Cloud Scheduler jobs."
  permissions = ["cloudscheduler.jobs.delete"]
}

resource "google_project_iam_member" "scheduler_job_deleter" {
  for_each = toset(local.scheduler_job_deleters)

  project = var.project_id
  role    = google_project_iam_custom_role.scheduler_job_deleter.id
  member  = "serviceAccount:${local.identity_emails[each.key]}"
}

# --- Function builds ---------------------------------------------------------------------------

resource "google_project_iam_member" "builder" {
  for_each = toset(["roles/logging.logWriter", "roles/artifactregistry.writer"])

  project = var.project_id
  role    = each.key
  member  = "serviceAccount:${google_service_account.function_builder.email}"
}

# Reads the uploaded sources (this module's bucket, and the gcf-v2-sources-* bucket that Cloud
# Functions stages them in) and nothing else.
resource "google_project_iam_member" "builder_reads_sources" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = "serviceAccount:${google_service_account.function_builder.email}"

  condition {
    title       = "function-sources-only"
    description = "Only the buckets holding function sources."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.function_sources.name}\") || resource.name.startsWith(\"projects/_/buckets/gcf-v2-sources-\")"
  }
}
