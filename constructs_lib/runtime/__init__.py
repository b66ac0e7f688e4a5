"""Runtime commands for the deployed pipeline: ``start`` (start an execution, optionally follow it) and ``status``.

Modules: ``cli_commands`` (argparse parsers and the command functions), ``client`` (the only module that talks
to AWS: a thin botocore wrapper that translates errors), ``params`` (``--param`` checks), ``progress`` (the follow
loop, progress views, status report), ``model`` (plain values shared by all of them, no botocore).

What moto does NOT emulate
--------------------------
Found by trying, with moto[server] 5.2.5 in server mode (``ThreadedMotoServer`` on 127.0.0.1) and
botocore 1.44.8; ``tests/integration/test_runtime_moto.py::test_what_moto_does_not_emulate`` pins the facts
marked (pinned), so an upgrade that changes them is noticed.

Emulated well enough for ``start``/``status``: CreatePipeline (inline definition or
``PipelineDefinitionS3Location``), DescribePipeline, ListPipelines, StartPipelineExecution (records the
``PipelineParameters`` it was given), DescribePipelineExecution, ListPipelineExecutions,
ListPipelineParametersForExecution, DescribePipelineDefinitionForExecution.

Not emulated:

1. Nothing runs. An execution is ``Succeeded`` the moment it is started; it is never ``Executing``,
   ``Failed`` or ``Stopped``, and its ``FailureReason`` is ``""`` (in ListPipelineExecutions summaries,
   ``PipelineExecutionFailureReason`` is the string ``"None"``). (pinned) So ``start --wait`` against moto ends
   at the first poll with exit 0; the Executing -> Failed/Stopped paths, the live view and ``--timeout`` are
   tested with a fake client (``tests/unit/runtime/``).
2. ListPipelineExecutionSteps, StopPipelineExecution and RetryPipelineExecution are not implemented (pinned);
   neither are UpdatePipelineExecution and ListPipelineVersions (tried). moto answers HTTP 500 with an HTML
   page (error code ``"500"``), which botocore retries like any 5xx before raising. The commands treat
   ListPipelineExecutionSteps failing this way as "step details unavailable", say so once, and show the
   execution status only.
3. No parameter checks at start: unknown parameter names and values of the wrong type (``"abc"`` for an
   Integer) are accepted (pinned); real SageMaker rejects them. ``start`` checks them itself before calling.
4. Defaults are not filled in: ListPipelineParametersForExecution returns only the parameters passed to the
   start (no ``PipelineParameters`` key at all when none were). (pinned)
5. An unknown pipeline is a ``ValidationException`` "Could not find pipeline with PipelineName X." (HTTP 400)
   (pinned); real SageMaker answers ``ResourceNotFound``. Names breaking the naming pattern get the same
   answer (no pattern check). The client wrapper accepts both forms.
6. ListPipelineExecutions ignores ``SortBy``, ``SortOrder`` and ``MaxResults``: it returns every execution,
   oldest first (pinned). "Latest execution" is therefore picked by ``StartTime`` on the client side.
7. CreatePipeline accepts any string as the definition (no JSON or schema check); a definition given by
   ``PipelineDefinitionS3Location`` comes back from DescribePipeline as a Python ``repr`` of the dict (single
   quotes), not JSON (pinned). The client reads both.
8. No authentication or authorization: any access key works, roles are not checked (tried); unknown region
   names get HTTP 500 instead of a connection error (tried).
"""
