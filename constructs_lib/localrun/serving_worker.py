"""A batch transform job's model server, run by the job's interpreter inside its private /opt/ml.

Standalone on purpose (standard library, plus numpy for the default csv/json/npy codecs): the chosen
interpreter need not have constructs_lib. It follows the SageMaker inference toolkit's handler contract:
``model_fn(model_dir)``, ``input_fn(body, content_type)``, ``predict_fn(data, model)``,
``output_fn(prediction, accept)`` (each may take an extra ``context``), or a single
``transform_fn(model, body, content_type, accept)``; mixing both forms is an error. The toolkit's default
decoders/encoders handle ``text/csv``, ``application/json`` and ``application/x-npy``; there is no default
``model_fn``, and the default ``predict_fn`` calls ``model.predict`` (the scikit-learn container's).

Batch semantics (CreateTransformJob): SplitType None sends each input object whole, Line sends records
(lines); BatchStrategy MultiRecord packs records up to MaxPayloadInMB per request, SingleRecord sends one;
AssembleWith Line adds a newline after each response; JoinSource Input appends the output to each CSV row
(or adds ``SageMakerOutput`` to a JSON record). Each input object ``k`` gives ``k.out``, written only when
the whole object succeeded.

Usage: python serving_worker.py SPEC.json (SPEC written by the runner). Exit 0, or 1 with the failure
reason in SPEC["failure_file"].
"""

import importlib
import inspect
import io
import json
import os
import sys
import traceback

CSV, JSON, NPY, NPZ = "text/csv", "application/json", "application/x-npy", "application/x-npz"


class ClientError(Exception):
    pass


def _media(content_type):
    return (content_type or "").split(";")[0].strip().lower()


def default_input_fn(body, content_type, context=None):
    import numpy as np

    media = _media(content_type)
    if media == JSON:
        return np.array(json.loads(body if isinstance(body, str) else body.decode("utf-8")))
    if media == CSV:
        text = body if isinstance(body, str) else body.decode("utf-8")
        return np.genfromtxt(io.StringIO(text), delimiter=",", dtype=None, encoding="utf-8")
    if media in (NPY, NPZ):
        loaded = np.load(io.BytesIO(body), allow_pickle=False)
        return loaded[loaded.files[0]] if media == NPZ else loaded
    raise ClientError(
        f"content type {content_type} is not supported by the default input_fn (text/csv, application/json, "
        "application/x-npy)"
    )


def default_output_fn(prediction, accept, context=None):
    import numpy as np

    media = _media(accept)
    if media == JSON:
        value = prediction.tolist() if hasattr(prediction, "tolist") else prediction
        return json.dumps(value), JSON
    if media == CSV:
        text_stream = io.StringIO()
        array = np.asarray(prediction)
        np.savetxt(text_stream, array if array.ndim else array.reshape(1), delimiter=",", fmt="%s")
        return text_stream.getvalue(), CSV
    if media == NPY:
        byte_stream = io.BytesIO()
        np.save(byte_stream, np.asarray(prediction))
        return byte_stream.getvalue(), NPY
    raise ClientError(f"accept type {accept} is not supported by the default output_fn")


def default_predict_fn(data, model, context=None):
    return model.predict(data)


def _call(fn, *args):
    """Call a handler with the toolkit's optional trailing ``context`` (None here)."""
    try:
        params = inspect.signature(fn).parameters
        takes_context = len(
            [p for p in params.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        ) > len(args)
    except (TypeError, ValueError):
        takes_context = False
    return fn(*args, None) if takes_context else fn(*args)


def load_handlers(code_dir, program):
    module_name = program.removesuffix(".py")
    module_name = module_name.replace("/", ".")
    sys.path.insert(0, code_dir)
    module = importlib.import_module(module_name)
    has = {
        name: getattr(module, name, None)
        for name in ("model_fn", "input_fn", "predict_fn", "output_fn", "transform_fn")
    }
    if has["transform_fn"] and any(has[n] for n in ("input_fn", "predict_fn", "output_fn")):
        raise ValueError(
            f"{program} defines transform_fn and input_fn/predict_fn/output_fn: use one form, not both "
            "(the inference toolkit refuses the mix)"
        )
    if not has["model_fn"] and any(getattr(module, n, None) for n in ("handler", "input_handler", "output_handler")):
        raise ValueError(
            f"{program} defines TensorFlow Serving handlers (input_handler/output_handler or handler), which "
            "run around a TF Serving model server: not supported by the local runner"
        )
    if not has["model_fn"]:
        raise ValueError(f"{program} defines no model_fn(model_dir): the model server cannot load the model")
    return has


def records_of(data, split):
    if split != "Line":
        return [data]
    return [line for line in data.split(b"\n") if line.strip()]


def batches(records, strategy, max_bytes, split):
    if split != "Line" or strategy == "SingleRecord":
        for record in records:
            yield [record]
        return
    # a type comment, not an annotation: any interpreter runs this file
    batch = []  # type: list[bytes]
    size = 0
    for record in records:
        if batch and size + len(record) + 1 > max_bytes:
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += len(record) + 1
    if batch:
        yield batch


def join_output(batch, response, content_type):
    """JoinSource Input: each input record with its output (one output line per record)."""
    out_lines = [line for line in response.split(b"\n") if line.strip()]
    if len(out_lines) != len(batch):
        raise ValueError(
            f"JoinSource Input needs one output line per input record: {len(batch)} records, "
            f"{len(out_lines)} output lines"
        )
    joined = []
    # Indexed rather than zip(strict=True): this file must run on interpreters older than 3.10, and the
    # lengths are checked equal just above.
    for index, record in enumerate(batch):
        output = out_lines[index]
        if _media(content_type) == JSON:
            item = json.loads(record)
            item["SageMakerOutput"] = json.loads(output)
            joined.append(json.dumps(item).encode())
        else:
            joined.append(record.rstrip(b"\r") + b"," + output.rstrip(b"\r"))
    return b"\n".join(joined) + b"\n"


def main(spec_path):
    with open(spec_path) as handle:
        spec = json.load(handle)
    try:
        handlers = load_handlers(spec["code_dir"], spec["program"])
        model = _call(handlers["model_fn"], spec["model_dir"])
        content_type, accept = spec["content_type"], spec["accept"]
        for rel, path in spec["inputs"]:
            with open(path, "rb") as handle:
                data = handle.read()
            parts = []
            for batch in batches(records_of(data, spec["split"]), spec["strategy"], spec["max_bytes"], spec["split"]):
                body = b"\n".join(batch) if spec["split"] == "Line" else batch[0]
                if handlers["transform_fn"]:
                    result = _call(handlers["transform_fn"], model, body, content_type, accept)
                else:
                    decoded = _call(handlers["input_fn"] or default_input_fn, body, content_type)
                    prediction = _call(handlers["predict_fn"] or default_predict_fn, decoded, model)
                    result = _call(handlers["output_fn"] or default_output_fn, prediction, accept)
                response = result[0] if isinstance(result, tuple) else result
                if isinstance(response, str):
                    response = response.encode("utf-8")
                if spec["join_source"] == "Input":
                    response = join_output(batch, response, content_type)
                parts.append(response)
                if spec["assemble"] == "Line":
                    parts.append(b"\n")
            target = os.path.join(spec["out_dir"], rel + ".out")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target + ".part", "wb") as handle:
                handle.write(b"".join(parts))
            os.replace(target + ".part", target)
            print(f"transformed {rel} ({len(data)} bytes) -> {rel}.out", flush=True)
    except Exception as exc:
        traceback.print_exc()
        with open(spec["failure_file"], "w") as handle:
            handle.write(f"ClientError: {type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
