"""YAML model configurations to SageMaker Pipelines, deployed with the AWS CDK."""
