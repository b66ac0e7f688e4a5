"""SageMaker shape limits copied from botocore's service model by ``python -m constructs_lib.config.limits``.

Do not edit: regenerate. tests/unit/config/test_limits.py checks it against the installed botocore.
"""

SAGEMAKER_LIMITS = {
    "ContainerImage": {
        "max": 255,
        "min": 0,
        "pattern": "[\\S]+",
        "type": "string"
    },
    "ContentType": {
        "max": 256,
        "min": 0,
        "pattern": ".*",
        "type": "string"
    },
    "EntityDescription": {
        "max": 1024,
        "min": 0,
        "pattern": "[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*",
        "type": "string"
    },
    "EntityName": {
        "max": 63,
        "min": 1,
        "pattern": "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
        "type": "string"
    },
    "EnvironmentKey": {
        "max": 1024,
        "min": 0,
        "pattern": "[a-zA-Z_][a-zA-Z0-9_]*",
        "type": "string"
    },
    "EnvironmentMap": {
        "max": 100,
        "min": 0,
        "type": "map"
    },
    "EnvironmentValue": {
        "max": 1024,
        "min": 0,
        "pattern": "[\\S\\s]*",
        "type": "string"
    },
    "HyperParameterKey": {
        "max": 256,
        "min": 0,
        "pattern": ".*",
        "type": "string"
    },
    "HyperParameterValue": {
        "max": 2500,
        "min": 0,
        "pattern": ".*",
        "type": "string"
    },
    "HyperParameters": {
        "max": 100,
        "min": 0,
        "type": "map"
    },
    "InvocationsTimeoutInSeconds": {
        "max": 3600,
        "min": 1,
        "type": "integer"
    },
    "JsonPath": {
        "max": 63,
        "min": 0,
        "type": "string"
    },
    "MaxRuntimeInSeconds": {
        "min": 1,
        "type": "integer"
    },
    "PipelineDescription": {
        "max": 3072,
        "min": 0,
        "pattern": ".*",
        "type": "string"
    },
    "PipelineName": {
        "max": 256,
        "min": 1,
        "pattern": "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}",
        "type": "string"
    },
    "PipelineParameterName": {
        "max": 256,
        "min": 1,
        "pattern": "[A-Za-z0-9\\-_]*",
        "type": "string"
    },
    "ProcessingEnvironmentKey": {
        "max": 256,
        "min": 0,
        "pattern": "[a-zA-Z_][a-zA-Z0-9_]*",
        "type": "string"
    },
    "ProcessingEnvironmentMap": {
        "max": 100,
        "min": 0,
        "type": "map"
    },
    "ProcessingEnvironmentValue": {
        "max": 256,
        "min": 0,
        "pattern": "[\\S\\s]*",
        "type": "string"
    },
    "ProcessingMaxRuntimeInSeconds": {
        "max": 777600,
        "min": 1,
        "type": "integer"
    },
    "S3Uri": {
        "max": 1024,
        "min": 0,
        "pattern": "(https|s3)://([^/]+)/?(.*)",
        "type": "string"
    },
    "TagKey": {
        "max": 128,
        "min": 1,
        "pattern": "([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)",
        "type": "string"
    },
    "TagList": {
        "max": 50,
        "min": 0,
        "type": "list"
    },
    "TagValue": {
        "max": 256,
        "min": 0,
        "pattern": "([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)",
        "type": "string"
    },
    "TrainingEnvironmentKey": {
        "max": 512,
        "min": 0,
        "pattern": "[a-zA-Z_][a-zA-Z0-9_]*",
        "type": "string"
    },
    "TrainingEnvironmentMap": {
        "max": 100,
        "min": 0,
        "type": "map"
    },
    "TrainingEnvironmentValue": {
        "max": 512,
        "min": 0,
        "pattern": "[\\S\\s]*",
        "type": "string"
    },
    "Url": {
        "max": 1024,
        "min": 0,
        "pattern": "(https|s3)://([^/]+)/?(.*)",
        "type": "string"
    }
}
