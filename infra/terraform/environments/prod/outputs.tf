output "api_url" {
  description = "Public base URL of the API."
  value       = module.switchyard.api_url
}

output "executor_url" {
  description = "Base URL of the private executor."
  value       = module.switchyard.executor_url
}

output "image_repository" {
  description = "Artifact Registry path of the container images."
  value       = module.switchyard.image_repository
}

output "function_sources_bucket" {
  description = "Bucket of the zipped function sources."
  value       = module.switchyard.function_sources_bucket
}

output "buckets" {
  description = "Data buckets by suffix."
  value       = module.switchyard.buckets
}

output "service_accounts" {
  description = "Runtime service account of each service and function."
  value       = module.switchyard.service_accounts
}

output "onboarding_service_account" {
  description = "Service account to impersonate for `python -m cloudrun.api.bootstrap`."
  value       = module.switchyard.onboarding_service_account
}
