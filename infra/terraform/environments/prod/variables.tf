variable "project_id" {
  description = "Google Cloud project of this environment."
  type        = string
}

variable "region" {
  description = "Region of the services, functions, queues and buckets."
  type        = string
  default     = "europe-west1"
}

variable "vertex_location" {
  description = "Vertex AI location of the Gemini calls."
  type        = string
  default     = "us-central1"
}

variable "firestore_location" {
  description = "Firestore location (cannot change after the first apply)."
  type        = string
  default     = "eur3"
}

variable "api_image" {
  description = "Container image of the api service (cloudbuild.yaml passes the one it built)."
  type        = string
}

variable "executor_image" {
  description = "Container image of the executor service."
  type        = string
}

variable "function_source_objects" {
  description = "Zipped source object of each function (build/functions/function_sources.tfvars.json)."
  type        = map(string)
}

variable "operators" {
  description = "Principals allowed to impersonate the onboarding service account."
  type        = list(string)
  default     = []
}
