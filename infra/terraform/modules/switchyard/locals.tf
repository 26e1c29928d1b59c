# Every resource name and limit Switchyard's code uses. The code declares the same names once in
# Python (shared/resources.py, FIRESTORE_INDEXES in the Firestore adapters, shared/settings.py);
# tests/test_repo/test_terraform.py fails when the two drift, in either direction.

locals {
  labels = {
    app         = "switchyard"
    environment = var.environment
  }

  # --- Pub/Sub: shared.resources.PIPELINE_TOPICS and SUBSCRIPTIONS -------------------------------

  topics = ["run-requested", "run-approved", "run-generated", "run-passed", "run-stopped", "run-finished", "run-scheduled", "sweep-requested"]

  # <topic>--<consumer>; dead letters <subscription>-dlq, kept by <subscription>-dlq--inspect.
  subscriptions = {
    "run-requested--preflight" = {
      topic                    = "run-requested"
      consumer                 = "preflight"
      push_path                = "/"
      ack_deadline_s           = 60
      max_delivery_attempts    = 5
      min_backoff_s            = 1
      max_backoff_s            = 60
      dead_letter_topic        = "run-requested--preflight-dlq"
      dead_letter_subscription = "run-requested--preflight-dlq--inspect"
    }
    "run-approved--executor" = {
      topic                    = "run-approved"
      consumer                 = "executor"
      push_path                = "/pubsub/run-approved"
      ack_deadline_s           = 120
      max_delivery_attempts    = 5
      min_backoff_s            = 1
      max_backoff_s            = 60
      dead_letter_topic        = "run-approved--executor-dlq"
      dead_letter_subscription = "run-approved--executor-dlq--inspect"
    }
    "run-generated--postgen" = {
      topic                    = "run-generated"
      consumer                 = "postgen"
      push_path                = "/"
      ack_deadline_s           = 60
      max_delivery_attempts    = 5
      min_backoff_s            = 1
      max_backoff_s            = 60
      dead_letter_topic        = "run-generated--postgen-dlq"
      dead_letter_subscription = "run-generated--postgen-dlq--inspect"
    }
    "run-passed--deliver" = {
      topic                    = "run-passed"
      consumer                 = "deliver"
      push_path                = "/"
      ack_deadline_s           = 60
      max_delivery_attempts    = 5
      min_backoff_s            = 1
      max_backoff_s            = 60
      dead_letter_topic        = "run-passed--deliver-dlq"
      dead_letter_subscription = "run-passed--deliver-dlq--inspect"
    }
    "run-stopped--alert" = {
      topic                    = "run-stopped"
      consumer                 = "alert"
      push_path                = "/"
      ack_deadline_s           = 60
      max_delivery_attempts    = 5
      min_backoff_s            = 1
      max_backoff_s            = 60
      dead_letter_topic        = "run-stopped--alert-dlq"
      dead_letter_subscription = "run-stopped--alert-dlq--inspect"
    }
    # A cron tick queued behind a running run waits by being redelivered (about eight hours).
    "run-scheduled--cron" = {
      topic                    = "run-scheduled"
      consumer                 = "cron"
      push_path                = "/"
      ack_deadline_s           = 60
      max_delivery_attempts    = 100
      min_backoff_s            = 10
      max_backoff_s            = 300
      dead_letter_topic        = "run-scheduled--cron-dlq"
      dead_letter_subscription = "run-scheduled--cron-dlq--inspect"
    }
    "run-finished--chain" = {
      topic                    = "run-finished"
      consumer                 = "chain"
      push_path                = "/"
      ack_deadline_s           = 60
      max_delivery_attempts    = 5
      min_backoff_s            = 1
      max_backoff_s            = 60
      dead_letter_topic        = "run-finished--chain-dlq"
      dead_letter_subscription = "run-finished--chain-dlq--inspect"
    }
    "sweep-requested--sweeper" = {
      topic                    = "sweep-requested"
      consumer                 = "sweeper"
      push_path                = "/"
      ack_deadline_s           = 60
      max_delivery_attempts    = 5
      min_backoff_s            = 1
      max_backoff_s            = 60
      dead_letter_topic        = "sweep-requested--sweeper-dlq"
      dead_letter_subscription = "sweep-requested--sweeper-dlq--inspect"
    }
  }

  # Subscriptions to a Cloud Run service are push subscriptions declared here; those to a
  # function are created by the function's Eventarc trigger (functions.tf).
  push_subscriptions     = { for name, sub in local.subscriptions : name => sub if contains(keys(local.services), sub.consumer) }
  function_subscriptions = { for name, sub in local.subscriptions : sub.consumer => merge(sub, { name = name }) if !contains(keys(local.services), sub.consumer) }

  # --- Cloud Tasks: shared.resources.QUEUES -------------------------------------------------------

  # enqueuers: the runtime service accounts that create tasks on the queue. The sweeper enqueues
  # again the model step or tool calls a stalled running run waits for (shared/pipeline/sweeper.py).
  queues = {
    "model-steps" = {
      max_dispatches_per_second = 10
      max_concurrent_dispatches = 20
      max_attempts              = 5
      min_backoff_s             = 1
      max_backoff_s             = 60
      max_doublings             = 4
      enqueuers                 = ["executor", "sweeper"]
    }
    "webhook-deliveries" = {
      max_dispatches_per_second = 20
      max_concurrent_dispatches = 20
      max_attempts              = 8
      min_backoff_s             = 1
      max_backoff_s             = 60
      max_doublings             = 4
      enqueuers                 = ["deliver"]
    }
    "tool-http-fetch" = {
      max_dispatches_per_second = 5
      max_concurrent_dispatches = 10
      max_attempts              = 5
      min_backoff_s             = 1
      max_backoff_s             = 60
      max_doublings             = 4
      enqueuers                 = ["executor", "sweeper"]
    }
    "tool-http-request" = {
      max_dispatches_per_second = 5
      max_concurrent_dispatches = 10
      max_attempts              = 5
      min_backoff_s             = 1
      max_backoff_s             = 60
      max_doublings             = 4
      enqueuers                 = ["executor", "sweeper"]
    }
    "tool-user-http" = {
      max_dispatches_per_second = 5
      max_concurrent_dispatches = 10
      max_attempts              = 5
      min_backoff_s             = 1
      max_backoff_s             = 60
      max_doublings             = 4
      enqueuers                 = ["executor", "sweeper"]
    }
    "tool-slack-post" = {
      max_dispatches_per_second = 1
      max_concurrent_dispatches = 2
      max_attempts              = 5
      min_backoff_s             = 1
      max_backoff_s             = 60
      max_doublings             = 4
      enqueuers                 = ["executor", "sweeper"]
    }
    "tool-gcs-write" = {
      max_dispatches_per_second = 10
      max_concurrent_dispatches = 10
      max_attempts              = 5
      min_backoff_s             = 1
      max_backoff_s             = 60
      max_doublings             = 4
      enqueuers                 = ["executor", "sweeper"]
    }
  }

  # --- Cloud Storage: shared.resources.BUCKET_SUFFIXES, named bucket_name(project, suffix) --------

  # writers get roles/storage.objectUser (a rewrite of an object needs delete), readers objectViewer.
  buckets = {
    "switchyard-traces" = {
      retention_days = var.trace_retention_days
      writers        = ["executor"]
      readers        = ["api"]
    }
    "switchyard-artifacts" = {
      retention_days = var.artifact_retention_days
      writers        = ["deliver"]
      readers        = []
    }
  }

  # --- Secret Manager: shared.resources.PLATFORM_SECRETS and webhook_signing_secret_id() ---------

  # Platform secrets are declared here without a version: their values never pass through
  # Terraform or its state (the bootstrap command adds the first version).
  platform_secrets = {
    "api-key-pepper" = {
      accessors = ["api"]
    }
  }

  # Secrets created at run time, one per organisation or webhook trigger, so they cannot be declared
  # here: shared.resources.webhook_signing_secret_id() and webhook_trigger_secret_id(), with {id}
  # for the id. Access is granted on the name prefix with IAM conditions (iam.tf); creators may
  # also create secrets (of any name, but creating one grants no access to it).
  runtime_secrets = {
    webhook_signing = {
      pattern  = "org-{id}-webhook-signing"
      creators = ["onboarding"]
      readers  = ["executor", "alert", "onboarding"]
    }
    webhook_trigger = {
      pattern  = "trigger-{id}-signing"
      creators = ["api"]
      readers  = ["api"]
    }
    # Integration credentials: stored (and tombstoned on revocation) by the api; read by the
    # executor's integration proxy, which adds a version when it refreshes an OAuth token.
    credential = {
      pattern  = "credential-{id}"
      creators = ["api", "executor"]
      readers  = ["executor"]
    }
  }

  # --- Firestore: FIRESTORE_INDEXES of shared/adapters/firestore_*_store.py -----------------------

  firestore_indexes = [
    { collection = "runs", query_scope = "COLLECTION", fields = [["org_id", "ASCENDING"], ["created_at", "DESCENDING"]] },
    { collection = "runs", query_scope = "COLLECTION", fields = [["org_id", "ASCENDING"], ["agent_id", "ASCENDING"], ["created_at", "DESCENDING"]] },
    { collection = "runs", query_scope = "COLLECTION", fields = [["org_id", "ASCENDING"], ["status", "ASCENDING"], ["created_at", "DESCENDING"]] },
    { collection = "runs", query_scope = "COLLECTION", fields = [["org_id", "ASCENDING"], ["agent_id", "ASCENDING"], ["status", "ASCENDING"], ["created_at", "DESCENDING"]] },
    { collection = "runs", query_scope = "COLLECTION", fields = [["status", "ASCENDING"], ["updated_at", "ASCENDING"]] },
    { collection = "agents", query_scope = "COLLECTION", fields = [["org_id", "ASCENDING"], ["name", "ASCENDING"]] },
    { collection = "credentials", query_scope = "COLLECTION", fields = [["org_id", "ASCENDING"], ["created_at", "ASCENDING"]] },
    { collection = "eval_results", query_scope = "COLLECTION", fields = [["org_id", "ASCENDING"], ["agent_id", "ASCENDING"], ["created_at", "DESCENDING"]] },
    { collection = "audit_events", query_scope = "COLLECTION", fields = [["org_id", "ASCENDING"], ["at", "DESCENDING"]] },
    { collection = "audit_events", query_scope = "COLLECTION", fields = [["org_id", "ASCENDING"], ["resource_type", "ASCENDING"], ["at", "DESCENDING"]] },
    { collection = "audit_events", query_scope = "COLLECTION", fields = [["org_id", "ASCENDING"], ["resource_type", "ASCENDING"], ["resource_id", "ASCENDING"], ["at", "DESCENDING"]] },
  ]
  firestore_index_map = {
    for index in local.firestore_indexes :
    "${index.collection}:${index.query_scope}:${join(",", [for field in index.fields : "${field[0]}:${field[1]}"])}" => index
  }

  # --- Services and functions ---------------------------------------------------------------------

  # Cloud Run services: gunicorn threads = requests one instance serves at once.
  services = {
    api = {
      image         = var.api_image
      public        = true
      threads       = 16
      min_instances = var.api_min_instances
      max_instances = var.api_max_instances
      memory        = "512Mi"
    }
    executor = {
      image         = var.executor_image
      public        = false
      threads       = 8
      min_instances = 0
      max_instances = var.executor_max_instances
      memory        = "1Gi"
    }
  }
  functions = keys(local.function_subscriptions)

  # Cloud Run's deterministic URL (https://<service>-<project number>.<region>.run.app), known
  # before the service exists, so the executor can be given its own URL (task targets and the
  # OIDC audience) without a dependency cycle.
  executor_url = "https://executor-${data.google_project.this.number}.${var.region}.run.app"

  # shared.settings.Settings, as environment variables: the same for every service and function.
  # The emulator variables and SWITCHYARD_EGRESS_ALLOWED_NETWORKS are never set on Google Cloud.
  runtime_env = {
    GOOGLE_CLOUD_PROJECT           = var.project_id
    SWITCHYARD_REGION              = var.region
    SWITCHYARD_VERTEX_LOCATION     = var.vertex_location
    SWITCHYARD_EXECUTOR_URL        = local.executor_url
    SWITCHYARD_TASKS_INVOKER_EMAIL = google_service_account.tasks_invoker.email
    SWITCHYARD_LOG_LEVEL           = var.log_level
  }

  # Topics each runtime identity publishes on: the stages it announces, and its own
  # subscription's dead-letter topic (shared/transport/pubsub.py dead-letters poison messages).
  publishes = {
    api       = ["run-requested"]
    preflight = ["run-approved", "run-stopped"]
    executor  = ["run-generated", "run-stopped", "run-finished"]
    postgen   = ["run-passed", "run-stopped"]
    deliver   = ["run-finished"]
    alert     = []
    cron      = ["run-requested"]
    chain     = ["run-requested"]
    # Republishes a stalled run's status topic, or fails it past its time limit.
    sweeper = ["run-requested", "run-approved", "run-generated", "run-passed", "run-stopped"]
  }
  dead_letter_publishers = { for name, sub in local.subscriptions : name => sub.consumer }

  # Identities that only read Firestore get datastore.viewer, the others datastore.user.
  firestore_readers = ["alert"]

  # Identities that call Gemini on Vertex AI: the agent loop, and the model-graded evals of the
  # gates and of continuous evals after delivery (shared/pipeline/eval_context.py grades with
  # the agent's model client).
  model_callers = ["executor", "preflight", "postgen", "deliver"]

  # --- Cloud Scheduler: one job per cron agent (shared.resources.scheduler_job_id) -------------

  # The jobs publish shared.resources.RUN_SCHEDULED as the Cloud Scheduler service agent; the api
  # creates, updates, pauses and deletes them when an agent is saved (shared/triggers/sync.py);
  # cron only deletes the job of an agent that is gone (shared/triggers/cron_intake.py).
  scheduler_topic        = "run-scheduled"
  scheduler_job_managers = ["api"]
  scheduler_job_deleters = ["cron"]

  # The platform's own job (shared.resources.SWEEP_JOB_ID, SWEEP_SCHEDULE, SWEEP_TIME_ZONE): every
  # minute it publishes a shared.domain.messages.SweepTick on sweep-requested, as the Cloud
  # Scheduler service agent, and the sweeper function moves the stalled runs (scheduler.tf).
  sweep_job = {
    name      = "sweep-stalled-runs"
    schedule  = "* * * * *"
    time_zone = "Etc/UTC"
    topic     = "sweep-requested"
    data      = "{\"schema_version\":1}"
  }
}
