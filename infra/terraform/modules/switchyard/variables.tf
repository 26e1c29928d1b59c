variable "project_id" {
  description = "Google Cloud project that Switchyard is deployed into."
  type        = string
}

variable "environment" {
  description = "Environment name (dev, prod), used as a label."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run services, functions, queues, buckets and the image registry (SWITCHYARD_REGION)."
  type        = string
  default     = "europe-west1"
}

variable "vertex_location" {
  description = "Vertex AI location of the Gemini calls (SWITCHYARD_VERTEX_LOCATION)."
  type        = string
  default     = "us-central1"
}

variable "firestore_location" {
  description = "Location of the Firestore database (a multi-region such as eur3 or nam5, or a region). It cannot be changed later."
  type        = string
  default     = "eur3"
}

variable "api_image" {
  description = "Container image of the api service, e.g. europe-west1-docker.pkg.dev/PROJECT/switchyard/api@sha256:..."
  type        = string
}

variable "executor_image" {
  description = "Container image of the executor service."
  type        = string
}

variable "function_source_objects" {
  description = "Object name, in the function sources bucket, of each function's zipped source (build/functions/function_sources.tfvars.json written by `python -m deploy.assemble_functions --zip`)."
  type        = map(string)
}

variable "log_level" {
  description = "Python logging level of every service and function (SWITCHYARD_LOG_LEVEL)."
  type        = string
  default     = "INFO"
}

variable "trace_retention_days" {
  description = "Days a run's trace objects are kept before the bucket's lifecycle rule deletes them."
  type        = number
  default     = 30
}

variable "artifact_retention_days" {
  description = "Days a delivered artifact is kept before the bucket's lifecycle rule deletes it."
  type        = number
  default     = 90
}

variable "api_min_instances" {
  description = "Instances of the api kept warm (0 scales to zero)."
  type        = number
  default     = 0
}

variable "api_max_instances" {
  description = "Upper bound of api instances."
  type        = number
  default     = 10
}

variable "executor_max_instances" {
  description = "Upper bound of executor instances; the queues' rate limits bound the work it gets."
  type        = number
  default     = 10
}

variable "function_max_instances" {
  description = "Upper bound of instances per function."
  type        = number
  default     = 10
}

variable "deletion_protection" {
  description = "Protect the Firestore database, the Cloud Run services and non-empty buckets from deletion by Terraform."
  type        = bool
  default     = true
}

variable "operators" {
  description = "Principals (user:..., group:...) allowed to impersonate the onboarding service account to run `python -m cloudrun.api.bootstrap`."
  type        = list(string)
  default     = []
}
