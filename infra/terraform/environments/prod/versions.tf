terraform {
  required_version = ">= 1.6"

  # State lives in a GCS bucket created once by hand (docs/deploy.md); pass it at init:
  # terraform init -backend-config="bucket=<project>-tfstate"
  backend "gcs" {
    prefix = "switchyard/prod"
  }

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.50"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 6.50"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}
