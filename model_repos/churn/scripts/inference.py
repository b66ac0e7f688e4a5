"""churn inference handlers for the SageMaker scikit-learn serving container.

Used by the Transform step (batch transform, ``split_type: Line``) and by the
registered model. Request: ``text/csv``, one customer per line, the feature columns of
``features.json`` in that order, no header. Response: ``text/csv``, one line per input
line holding the churn probability (class 1), formatted with 6 decimals. Every line
ends with a newline, so outputs of several mini-batches concatenate cleanly.

The answer is always ``text/csv`` (the registered response type), whatever ``Accept``
says: a batch transform without a configured accept type sends none, and the container
then substitutes ``application/json``; refusing that would fail the whole job.
"""
import io
import os

import joblib
import numpy as np

CSV = "text/csv"


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(request_body, request_content_type=CSV):
    content_type = (request_content_type or CSV).split(";")[0].strip().lower()
    if content_type != CSV:
        raise ValueError("unsupported content type %r, expected %s" % (request_content_type, CSV))
    if isinstance(request_body, (bytes, bytearray)):
        request_body = request_body.decode("utf-8")
    data = np.loadtxt(io.StringIO(request_body), delimiter=",", dtype="float64", ndmin=2)
    if data.size == 0:
        raise ValueError("empty request")
    return data


def predict_fn(input_data, model):
    expected = getattr(model, "n_features_in_", input_data.shape[1])
    if input_data.shape[1] != expected:
        raise ValueError("got %d columns, the model expects %d" % (input_data.shape[1], expected))
    positive = list(model.classes_).index(1)
    return model.predict_proba(input_data)[:, positive]


def output_fn(prediction, accept=CSV):
    body = "".join("%.6f\n" % value for value in np.asarray(prediction, dtype="float64").ravel())
    return body, CSV
