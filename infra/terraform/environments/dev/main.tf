# Development: scales to zero, short retention, and everything can be destroyed.
module "switchyard" {
  source = "../../modules/switchyard"

  project_id              = var.project_id
  environment             = "dev"
  region                  = var.region
  vertex_location         = var.vertex_location
  firestore_location      = var.firestore_location
  api_image               = var.api_image
  executor_image          = var.executor_image
  function_source_objects = var.function_source_objects
  operators               = var.operators

  log_level               = "DEBUG"
  trace_retention_days    = 7
  artifact_retention_days = 14
  api_min_instances       = 0
  api_max_instances       = 3
  executor_max_instances  = 3
  function_max_instances  = 3
  deletion_protection     = false
}
