# vodplan's RAM set-up in Terraform (alicloud provider >= 1.252.0, for role_name and
# assume_role_policy_document of alicloud_ram_role): the OIDC identity providers of GitHub Actions
# and GitLab, the read-only plan role and the delete-capable apply role trusting them, and the two
# permission policies. The documents are the ones in examples/ram/, read from disk with their
# placeholders filled in, so this file and the JSON files cannot disagree. See docs/ci.md.
#
#   terraform init && terraform apply \
#     -var github_repository=octo/videos -var github_fingerprint=<sha1> \
#     -var gitlab_project=group/videos -var gitlab_fingerprint=<sha1>
#
# The fingerprints are the SHA-1 thumbprints of each issuer's root CA certificate; docs/ci.md shows
# how to compute them. Leave a repository or project empty to skip that platform.

terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = ">= 1.252.0"
    }
  }
}

variable "github_repository" {
  description = "owner/repo of the GitHub repository that holds the manifests (empty: no GitHub)"
  type        = string
  default     = ""
}

variable "github_fingerprint" {
  description = "SHA-1 thumbprint of the root CA of token.actions.githubusercontent.com"
  type        = string
  default     = ""
}

variable "gitlab_project" {
  description = "group/project of the GitLab project that holds the manifests (empty: no GitLab)"
  type        = string
  default     = ""
}

variable "gitlab_url" {
  description = "The GitLab instance, the OIDC issuer"
  type        = string
  default     = "https://gitlab.com"
}

variable "gitlab_fingerprint" {
  description = "SHA-1 thumbprint of the root CA of the GitLab instance"
  type        = string
  default     = ""
}

variable "apply_max_session_seconds" {
  description = "MaxSessionDuration of the apply role: at least the longest apply (3600-43200)"
  type        = number
  default     = 3600
}

data "alicloud_account" "current" {}

locals {
  ram        = "${path.module}/../ram"
  account_id = data.alicloud_account.current.id
  github     = var.github_repository != ""
  gitlab     = var.gitlab_project != ""

  # Trust policies: examples/ram/trust-*.json with the account, repository and issuer filled in.
  github_trust = {
    for role, file in { plan = "trust-github-oidc-plan.json", apply = "trust-github-oidc.json" } :
    role => replace(replace(file("${local.ram}/${file}"),
      "<account-id>", local.account_id),
    "<owner>/<repo>", var.github_repository)
  }
  gitlab_trust = {
    for role, file in { plan = "trust-gitlab-oidc-plan.json", apply = "trust-gitlab-oidc.json" } :
    role => replace(replace(replace(file("${local.ram}/${file}"),
      "<account-id>", local.account_id),
      "<group>/<project>", var.gitlab_project),
    "https://gitlab.com", var.gitlab_url)
  }

  # A role trusts every configured platform: one statement per provider.
  trust = {
    for role in ["plan", "apply"] : role => jsonencode({
      Version = "1"
      Statement = concat(
        local.github ? jsondecode(local.github_trust[role]).Statement : [],
        local.gitlab ? jsondecode(local.gitlab_trust[role]).Statement : [],
      )
    })
  }
}

resource "alicloud_ims_oidc_provider" "github" {
  count              = local.github ? 1 : 0
  oidc_provider_name = "github"
  issuer_url         = "https://token.actions.githubusercontent.com"
  client_ids         = ["sts.aliyuncs.com"]
  fingerprints       = [var.github_fingerprint]
  description        = "GitHub Actions, for vodplan"
}

resource "alicloud_ims_oidc_provider" "gitlab" {
  count              = local.gitlab ? 1 : 0
  oidc_provider_name = "gitlab"
  issuer_url         = var.gitlab_url
  client_ids         = ["sts.aliyuncs.com"]
  fingerprints       = [var.gitlab_fingerprint]
  description        = "GitLab CI, for vodplan"
}

resource "alicloud_ram_policy" "plan" {
  policy_name     = "vodplan-plan"
  policy_document = file("${local.ram}/plan-policy.json")
  description     = "vodplan plan and drift: read the VOD catalogue"
}

resource "alicloud_ram_policy" "apply" {
  policy_name     = "vodplan-apply"
  policy_document = file("${local.ram}/apply-policy.json")
  description     = "vodplan apply: read, delete, quarantine and restore VOD videos"
}

resource "alicloud_ram_role" "plan" {
  role_name                   = "vodplan-plan"
  assume_role_policy_document = local.trust["plan"]
  description                 = "vodplan plan and drift checks in CI (read-only)"
  depends_on                  = [alicloud_ims_oidc_provider.github, alicloud_ims_oidc_provider.gitlab]
}

resource "alicloud_ram_role" "apply" {
  role_name                   = "vodplan-apply"
  assume_role_policy_document = local.trust["apply"]
  description                 = "vodplan apply in CI: the protected environment or branch only"
  max_session_duration        = var.apply_max_session_seconds
  depends_on                  = [alicloud_ims_oidc_provider.github, alicloud_ims_oidc_provider.gitlab]
}

resource "alicloud_ram_role_policy_attachment" "plan" {
  role_name   = alicloud_ram_role.plan.role_name
  policy_name = alicloud_ram_policy.plan.policy_name
  policy_type = "Custom"
}

resource "alicloud_ram_role_policy_attachment" "apply" {
  role_name   = alicloud_ram_role.apply.role_name
  policy_name = alicloud_ram_policy.apply.policy_name
  policy_type = "Custom"
}

# The values the CI examples' variables take.
output "VOD_OIDC_PROVIDER_ARN" {
  value = {
    github = local.github ? "acs:ram::${local.account_id}:oidc-provider/github" : null
    gitlab = local.gitlab ? "acs:ram::${local.account_id}:oidc-provider/gitlab" : null
  }
}

output "VOD_PLAN_ROLE_ARN" {
  value = "acs:ram::${local.account_id}:role/${alicloud_ram_role.plan.role_name}"
}

output "VOD_APPLY_ROLE_ARN" {
  value = "acs:ram::${local.account_id}:role/${alicloud_ram_role.apply.role_name}"
}
