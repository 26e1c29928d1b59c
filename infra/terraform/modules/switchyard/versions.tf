terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.50"
    }
    # Only for google_project_service_identity (the Pub/Sub and Cloud Scheduler service agents),
    # which the GA provider does not have in 6.x.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 6.50"
    }
  }
}
