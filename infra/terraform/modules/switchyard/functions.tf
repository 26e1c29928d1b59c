# The pipeline's Cloud Functions (2nd gen, CloudEvent signature), one per function consumer of
# local.subscriptions, each triggered by an Eventarc trigger on its topic. Their target is their
# name (functions/<name>/main.py defines <name>).
resource "google_cloudfunctions2_function" "stage" {
  for_each = local.function_subscriptions

  project     = var.project_id
  location    = var.region
  name        = each.key
  description = "Switchyard ${each.key}: ${each.value.topic} → ${each.key}."
  labels      = local.labels

  build_config {
    runtime         = "python311"
    entry_point     = each.key
    service_account = google_service_account.function_builder.id

    source {
      storage_source {
        bucket = google_storage_bucket.function_sources.name
        object = lookup(var.function_source_objects, each.key, "")
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.runtime[each.key].email
    available_memory                 = "512Mi"
    available_cpu                    = "1"
    timeout_seconds                  = each.value.ack_deadline_s
    min_instance_count               = 0
    max_instance_count               = var.function_max_instances
    max_instance_request_concurrency = 1
    # Eventarc's pushes are internal traffic; nothing else may reach the functions.
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    environment_variables          = local.runtime_env
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = google_pubsub_topic.pipeline[each.value.topic].id
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.eventarc_trigger.email
  }

  lifecycle {
    precondition {
      condition     = contains(keys(var.function_source_objects), each.key)
      error_message = "function_source_objects has no source for ${each.key}: run `python -m deploy.assemble_functions --zip` and pass build/functions/function_sources.tfvars.json."
    }
  }

  depends_on = [
    google_project_iam_member.builder,
    google_project_iam_member.builder_reads_sources,
  ]
}

# A 2nd-gen function is a Cloud Run service of the same name: the trigger's identity invokes it.
resource "google_cloud_run_v2_service_iam_member" "eventarc_invoker" {
  for_each = google_cloudfunctions2_function.stage

  project  = var.project_id
  location = var.region
  name     = each.value.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.eventarc_trigger.email}"
}

# Eventarc creates and owns the Pub/Sub subscription of each trigger (eventarc-<region>-<trigger>-
# sub-<n>), and neither its API nor the provider can set that subscription's dead-letter policy
# (hashicorp/terraform-provider-google#17697). Google's documented way is to update the
# subscription itself (https://cloud.google.com/eventarc/docs/retry-events): this does it with
# gcloud after every deploy of the function and every change of the declared policy, with the same values as a
# declared subscription: dead-letter topic and attempts, retry backoff, ack deadline, and the
# Pub/Sub service agent's right to acknowledge there when it dead-letters.
resource "terraform_data" "eventarc_subscription_policy" {
  for_each = local.function_subscriptions

  triggers_replace = {
    trigger               = google_cloudfunctions2_function.stage[each.key].event_trigger[0].trigger
    function_updated      = google_cloudfunctions2_function.stage[each.key].update_time
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.value.name].id
    max_delivery_attempts = each.value.max_delivery_attempts
    min_backoff_s         = each.value.min_backoff_s
    max_backoff_s         = each.value.max_backoff_s
    ack_deadline_s        = each.value.ack_deadline_s
    pubsub_agent          = google_project_service_identity.pubsub.email
  }

  provisioner "local-exec" {
    command = "bash ${path.module}/scripts/eventarc_subscription_policy.sh"
    environment = {
      TRIGGER               = google_cloudfunctions2_function.stage[each.key].event_trigger[0].trigger
      DEAD_LETTER_TOPIC     = google_pubsub_topic.dead_letter[each.value.name].id
      MAX_DELIVERY_ATTEMPTS = each.value.max_delivery_attempts
      MIN_BACKOFF_S         = each.value.min_backoff_s
      MAX_BACKOFF_S         = each.value.max_backoff_s
      ACK_DEADLINE_S        = each.value.ack_deadline_s
      PUBSUB_AGENT          = google_project_service_identity.pubsub.email
    }
  }

  depends_on = [google_pubsub_topic_iam_member.dead_letter_forwarder]
}
