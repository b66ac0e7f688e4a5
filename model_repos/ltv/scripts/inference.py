"""ltv inference handlers for the SageMaker scikit-learn serving container.

Request: ``text/csv``, one customer per line, the feature columns of ltv's
``features.json`` in that order (churn's features, then addon_services), no header.
Response: ``text/csv``, one predicted ``revenue_next_12m`` per input line (4 decimals),
each line newline-terminated so mini-batch outputs concatenate cleanly. The answer is
always text/csv, whatever ``Accept`` says (batch transform without a configured accept
type makes the container assume application/json).
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
    return model.predict(input_data)


def output_fn(prediction, accept=CSV):
    body = "".join("%.4f\n" % value for value in np.asarray(prediction, dtype="float64").ravel())
    return body, CSV
