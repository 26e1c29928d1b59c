# Production: a warm API, longer retention, and deletion protection on data and services.
module "switchyard" {
  source = "../../modules/switchyard"

  project_id              = var.project_id
  environment             = "prod"
  region                  = var.region
  vertex_location         = var.vertex_location
  firestore_location      = var.firestore_location
  api_image               = var.api_image
  executor_image          = var.executor_image
  function_source_objects = var.function_source_objects
  operators               = var.operators

  log_level               = "INFO"
  trace_retention_days    = 30
  artifact_retention_days = 90
  api_min_instances       = 1
  api_max_instances       = 20
  executor_max_instances  = 20
  function_max_instances  = 20
  deletion_protection     = true
}
