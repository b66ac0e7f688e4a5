"""What a compiled definition gives each job's container, read from the definition JSON alone, and a small
imitation of running the jobs: directories laid out exactly as the definition says, S3 as a dictionary.

Not a runner (that is the `run` command's job): just enough to show that scripts written against the original
framework's paths find their inputs and that their outputs reach the steps that read them. It follows the
standard SageMaker conventions only: Processing ``ProcessingInputs``/``ProcessingOutputConfig`` with
``ContainerEntrypoint``; Training ``InputDataConfig`` channels, ``sagemaker_program`` /
``sagemaker_submit_directory`` (the training toolkit's script mode), ``/opt/ml/model`` packed as ``model.tar.gz``.
Batch transform is imitated by a callable the test gives (no model server here).

Scripts and the bootstrap hard-code ``/opt/ml``; to run them without root, the same textual relocation
(``/opt/ml/`` -> ``<tmp>/opt/ml/``) is applied to the bootstrap, the extracted sources and nothing else.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from constructs_lib.compiler.assets import AssetEntry, asset_bytes

OPT = "/opt/ml"


def steps_by_name(definition: dict) -> dict[str, dict]:
    """Every step, including those nested in Condition steps."""
    out: dict[str, dict] = {}

    def walk(steps: list[dict]) -> None:
        for step in steps:
            out[step["Name"]] = step
            args = step.get("Arguments", {})
            walk(args.get("IfSteps", []) + args.get("ElseSteps", []))

    walk(definition["Steps"])
    return out


def container_paths(step: dict) -> set[str]:
    """The directories the step's container gets (inputs, outputs, channels), without trailing slashes."""
    args = step["Arguments"]
    if step["Type"] == "Processing":
        paths = {i["S3Input"]["LocalPath"].rstrip("/") for i in args.get("ProcessingInputs", [])}
        paths |= {o["S3Output"]["LocalPath"].rstrip("/") for o in args["ProcessingOutputConfig"]["Outputs"]}
        return paths
    if step["Type"] == "Training":
        return {f"{OPT}/input/data/{c['ChannelName']}" for c in args["InputDataConfig"]} | {f"{OPT}/model"}
    return set()


def input_uri(step: dict, local_path: str) -> Any:
    """The S3 URI expression whose objects land at ``local_path`` (a Processing input or a training channel)."""
    args = step["Arguments"]
    for i in args.get("ProcessingInputs", []):
        if i["S3Input"]["LocalPath"].rstrip("/") == local_path:
            return i["S3Input"]["S3Uri"]
    for c in args.get("InputDataConfig", []):
        if f"{OPT}/input/data/{c['ChannelName']}" == local_path:
            return c["DataSource"]["S3DataSource"]["S3Uri"]
    raise KeyError(local_path)


class LocalPipeline:
    """Runs a compiled definition's jobs in directories under ``work`` (see the module docstring)."""

    def __init__(
        self,
        definition: dict,
        assets: tuple[AssetEntry, ...],
        project_root: Path,
        work: Path,
        seed: Callable[[str, Path], None],
        extra_env: dict[str, str] | None = None,
    ):
        self.definition = definition
        self.assets = {a.placeholder_uri: a for a in assets}
        self.root = project_root
        self.work = work
        self.seed = seed  # writes the objects of a plain s3:// URI (data the pipeline does not produce)
        self.extra_env = dict(extra_env or {})  # e.g. PIP_TARGET, to keep pip away from the test's environment
        self.s3: dict[str, Path] = {}  # property path ("Steps.X...") -> folder of the objects under that URI
        self.bin = work / "bin"
        self.bin.mkdir(parents=True)
        (self.bin / "python").symlink_to(sys.executable)

    # ------------------------------------------------------------------------------------------------ S3

    def _objects(self, uri: Any) -> Path:
        """A folder holding the objects an S3Prefix input of ``uri`` downloads (relative keys kept)."""
        if isinstance(uri, dict) and str(uri.get("Get", "")).startswith("Parameters."):
            name = uri["Get"].split(".", 1)[1]
            return self._objects(next(p["DefaultValue"] for p in self.definition["Parameters"] if p["Name"] == name))
        if isinstance(uri, dict) and "Get" in uri:
            return self.s3[uri["Get"]]
        if isinstance(uri, dict) and "Std:Join" in uri:
            first, *rest = uri["Std:Join"]["Values"]
            path = self._objects(first)
            suffix = uri["Std:Join"]["On"].join(str(r) for r in rest)
            target = path / suffix
            # a prefix that names one object: only that object, under its own name
            folder = self.work / "s3-objects" / str(abs(hash(json.dumps(uri, sort_keys=True))))
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(target, folder / target.name)
            return folder
        assert isinstance(uri, str) and uri.startswith("s3://"), uri
        folder = self.work / "s3-objects" / uri.replace("s3://", "").replace("/", "_")
        if not folder.exists():
            folder.mkdir(parents=True)
            entry = self.assets.get(uri)
            if entry is not None:
                (folder / entry.object_name).write_bytes(asset_bytes(entry, self.root))
            else:
                self.seed(uri, folder)
        return folder

    def _download(self, uri: Any, local: Path) -> None:
        local.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self._objects(uri), local, dirs_exist_ok=True)

    def relocate(self, job_root: Path, text: str) -> str:
        return text.replace(f"{OPT}/", f"{job_root}{OPT}/")

    def _relocate_archive(self, archive: Path, job: Path) -> None:
        """Rewrite the Python files inside a source archive with :meth:`relocate`."""
        out = io.BytesIO()
        with tarfile.open(archive) as src, tarfile.open(fileobj=out, mode="w:gz") as dst:
            for member in src.getmembers():
                data = src.extractfile(member).read() if member.isfile() else None
                if data is not None and member.name.endswith(".py"):
                    data = self.relocate(job, data.decode()).encode()
                    member.size = len(data)
                dst.addfile(member, io.BytesIO(data) if data is not None else None)
        archive.write_bytes(out.getvalue())

    # ---------------------------------------------------------------------------------------------- jobs

    def _run(self, argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
        full = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "SAGEMAKER_"))}
        full.update(self.extra_env)
        full.update(env, PATH=f"{self.bin}:{full.get('PATH', '')}", PYTHONDONTWRITEBYTECODE="1")
        proc = subprocess.run(argv, check=False, cwd=cwd, env=full, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise AssertionError(f"{argv} failed ({proc.returncode})\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    def processing(self, step: dict) -> subprocess.CompletedProcess:
        args = step["Arguments"]
        job = self.work / "jobs" / step["Name"]
        for i in args["ProcessingInputs"]:
            self._download(i["S3Input"]["S3Uri"], Path(f"{job}{i['S3Input']['LocalPath']}"))
        outputs = args["ProcessingOutputConfig"]["Outputs"]
        for o in outputs:
            Path(f"{job}{o['S3Output']['LocalPath']}").mkdir(parents=True, exist_ok=True)
        for archive in Path(job).rglob("sourcedir.tar.gz"):
            self._relocate_archive(archive, job)
        entrypoint = args["AppSpecification"]["ContainerEntrypoint"]
        assert entrypoint[0] == "/bin/bash", entrypoint
        script = Path(f"{job}{entrypoint[1]}")
        script.write_text(self.relocate(job, script.read_text()))
        proc = self._run(
            ["bash", str(script), *args["AppSpecification"].get("ContainerArguments", [])],
            job,
            dict(args.get("Environment", {})),
        )
        for o in outputs:
            key = f"Steps.{step['Name']}.ProcessingOutputConfig.Outputs['{o['OutputName']}'].S3Output.S3Uri"
            self.s3[key] = Path(f"{job}{o['S3Output']['LocalPath']}")
        return proc

    def training(self, step: dict) -> subprocess.CompletedProcess:
        """The training toolkit's script mode: code in /opt/ml/code, channels, SM_* variables, --name value."""
        args = step["Arguments"]
        job = self.work / "jobs" / step["Name"]
        hps = dict(args.get("HyperParameters", {}))
        program, submit = hps.pop("sagemaker_program"), hps.pop("sagemaker_submit_directory")
        code = Path(f"{job}{OPT}/code")
        code.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO((self._objects(submit) / "sourcedir.tar.gz").read_bytes())) as tar:
            tar.extractall(code, filter="data")
        for path in code.rglob("*.py"):
            path.write_text(self.relocate(job, path.read_text()))
        env = {
            "SM_MODEL_DIR": f"{job}{OPT}/model",
            "SM_CHANNELS": json.dumps(sorted(c["ChannelName"] for c in args["InputDataConfig"])),
        }
        for c in args["InputDataConfig"]:
            local = Path(f"{job}{OPT}/input/data/{c['ChannelName']}")
            self._download(c["DataSource"]["S3DataSource"]["S3Uri"], local)
            env[f"SM_CHANNEL_{c['ChannelName'].upper()}"] = str(local)
        model = Path(env["SM_MODEL_DIR"])
        model.mkdir(parents=True)
        argv = ["python", program] + [a for k, v in sorted(hps.items()) for a in (f"--{k}", str(v))]
        proc = self._run(argv, code, {**args.get("Environment", {}), **env})
        artifacts = self.work / "s3-objects" / f"{step['Name']}-model"
        artifacts.mkdir(parents=True)
        with tarfile.open(artifacts / "model.tar.gz", "w:gz") as tar:
            for path in sorted(model.rglob("*")):
                tar.add(path, arcname=path.relative_to(model).as_posix(), recursive=False)
        self.s3[f"Steps.{step['Name']}.ModelArtifacts.S3ModelArtifacts"] = artifacts
        return proc

    def transform(self, step: dict, score: Callable[[Path, Path], None]) -> None:
        """``score(input_folder, output_folder)`` stands in for the model server."""
        job = self.work / "jobs" / step["Name"]
        inputs, outputs = job / "input", job / "output"
        self._download(step["Arguments"]["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"], inputs)
        outputs.mkdir(parents=True)
        score(inputs, outputs)
        self.s3[f"Steps.{step['Name']}.TransformOutput.S3OutputPath"] = outputs

    def resolve(self, uri: Any) -> Path:
        """Where the objects of ``uri`` are after the jobs ran (e.g. the registered metrics report)."""
        if isinstance(uri, dict) and "Std:Join" in uri:
            first, *rest = uri["Std:Join"]["Values"]
            return self.resolve(first) / uri["Std:Join"]["On"].join(str(r) for r in rest)
        return self._objects(uri)
