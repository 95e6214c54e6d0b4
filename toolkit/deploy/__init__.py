"""Deployment artefacts: the IAM policy the DAGs need (iam_policy.json)."""
