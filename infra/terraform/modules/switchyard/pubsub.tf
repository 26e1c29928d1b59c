resource "google_pubsub_topic" "pipeline" {
  # checkov:skip=CKV_GCP_83: Google-managed encryption at rest; CMEK needs a Cloud KMS key per region and service-agent grants, an organisation's choice this module leaves out
  for_each = toset(local.topics)

  project = var.project_id
  name    = each.key
  labels  = local.labels

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "dead_letter" {
  # checkov:skip=CKV_GCP_83: Google-managed encryption at rest; CMEK needs a Cloud KMS key per region and service-agent grants, an organisation's choice this module leaves out
  for_each = local.subscriptions

  project = var.project_id
  name    = each.value.dead_letter_topic
  labels  = local.labels

  depends_on = [google_project_service.enabled]
}

# Pub/Sub drops what is published to a topic without subscriptions: every dead-letter topic
# keeps its messages in a pull subscription for inspection and replay.
resource "google_pubsub_subscription" "dead_letter_inspect" {
  for_each = local.subscriptions

  project                    = var.project_id
  name                       = each.value.dead_letter_subscription
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s" # 7 days, the maximum
  labels                     = local.labels

  expiration_policy {
    ttl = "" # never expires, however long no one looks
  }
}

# Cloud Tasks has no dead-letter queue: the executor publishes a task it can never do here
# (shared.resources.TASK_DEAD_LETTER_TOPIC, by shared/transport/cloud_tasks.py), and the pull
# subscription keeps it for inspection and replay.
resource "google_pubsub_topic" "task_dead_letter" {
  # checkov:skip=CKV_GCP_83: Google-managed encryption at rest; CMEK needs a Cloud KMS key per region and service-agent grants, an organisation's choice this module leaves out
  project = var.project_id
  name    = "tasks-dlq"
  labels  = local.labels

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_subscription" "task_dead_letter_inspect" {
  project                    = var.project_id
  name                       = "tasks-dlq--inspect"
  topic                      = google_pubsub_topic.task_dead_letter.id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s" # 7 days, the maximum
  labels                     = local.labels

  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_topic_iam_member" "task_dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.task_dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.runtime["executor"].email}"
}

# Pushes to the Cloud Run services (the executor), with an OIDC token of the invoker identity
# whose audience is the service URL, which Cloud Run's IAM check verifies.
resource "google_pubsub_subscription" "push" {
  for_each = local.push_subscriptions

  project              = var.project_id
  name                 = each.key
  topic                = google_pubsub_topic.pipeline[each.value.topic].id
  ack_deadline_seconds = each.value.ack_deadline_s
  labels               = local.labels

  push_config {
    push_endpoint = "${local.executor_url}${each.value.push_path}"
    oidc_token {
      service_account_email = google_service_account.tasks_invoker.email
      audience              = local.executor_url
    }
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = each.value.max_delivery_attempts
  }

  retry_policy {
    minimum_backoff = "${each.value.min_backoff_s}s"
    maximum_backoff = "${each.value.max_backoff_s}s"
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_service_account_iam_member.pubsub_mints_invoker_tokens]
}

# The Pub/Sub service agent forwards undeliverable messages: it publishes to every dead-letter
# topic and acknowledges on the source subscription (the Eventarc-created subscriptions of the
# functions get the same grant from eventarc.tf).
resource "google_pubsub_topic_iam_member" "dead_letter_forwarder" {
  for_each = local.subscriptions

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[each.key].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

resource "google_pubsub_subscription_iam_member" "dead_letter_forwarder" {
  for_each = local.push_subscriptions

  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

# Each runtime identity publishes only on the topics its stage announces...
resource "google_pubsub_topic_iam_member" "stage_publisher" {
  for_each = merge([
    for identity, topics in local.publishes : {
      for topic in topics : "${identity}:${topic}" => { identity = identity, topic = topic }
    }
  ]...)

  project = var.project_id
  topic   = google_pubsub_topic.pipeline[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.runtime[each.value.identity].email}"
}

# ...and on its own subscription's dead-letter topic, where shared/transport/pubsub.py sends a
# message it cannot decode, or one naming no run.
resource "google_pubsub_topic_iam_member" "poison_publisher" {
  for_each = local.dead_letter_publishers

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[each.key].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.runtime[each.value].email}"
}

# Cloud Scheduler's cron jobs publish their ticks as the Cloud Scheduler service agent.
resource "google_pubsub_topic_iam_member" "scheduler_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.pipeline[local.scheduler_topic].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_project_service_identity.cloudscheduler.email}"
}
