"""Property: random mutations of valid configs never produce a traceback, only a valid result or exit 2."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constructs_lib.cli import main
from tests.conftest import FIXTURES, HAS_SEED_EXAMPLES, OWN_EXAMPLES, SEED_EXAMPLES

BASE_FILES = [
    FIXTURES / "valid" / "full" / "conf.yaml",
    OWN_EXAMPLES / "examples" / "housing" / "conf" / "conf.yaml",
    OWN_EXAMPLES / "examples" / "churn" / "conf" / "conf.yaml",
]
if HAS_SEED_EXAMPLES:  # the original's own files too, when ../shared is there
    BASE_FILES += [
        SEED_EXAMPLES / "examples" / "tf" / "conf" / "conf.yaml",
        SEED_EXAMPLES / "examples" / "lgbm" / "conf" / "conf.yaml",
    ]
BASES = [yaml.safe_load(path.read_text()) for path in BASE_FILES]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(
        ["", "SMP_S3BUCKETNAME", "${X}", "${params.Nope}", "A >> B", "Processing", "ml.m5.large", "[", "{"]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)


def _paths(data, at=()):
    yield at
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, at + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, at + (i,))


def _mutate(data, path, op, value, name):
    import copy

    data = copy.deepcopy(data)
    if not path:
        return value if op == "replace" else data
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    if op == "replace":
        parent[key] = value
    elif op == "delete":
        del parent[key]
    elif op == "rename" and isinstance(parent, dict):
        parent[str(key) + name] = parent.pop(key)
    elif op == "insert" and isinstance(parent[key], dict):
        parent[key][name or "x"] = value
    elif op == "insert" and isinstance(parent[key], list):
        parent[key].append(value)
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base=st.sampled_from(range(len(BASES))),
    pick=st.integers(0, 10**6),
    op=st.sampled_from(["replace", "delete", "rename", "insert"]),
    value=values,
    name=st.text(max_size=4),
)
def test_mutation_gives_result_or_clean_error(tmp_path_factory, base, pick, op, value, name) -> None:
    data = BASES[base]
    paths = list(_paths(data))
    mutated = _mutate(data, paths[pick % len(paths)], op, value, name)
    work = tmp_path_factory.mktemp("mut")
    (work / "conf.yaml").write_text(yaml.safe_dump(mutated, sort_keys=False, allow_unicode=True))
    out, err = io.StringIO(), io.StringIO()
    import os

    cwd = Path.cwd()
    os.chdir(work)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["validate", "--config", "conf.yaml"])
    finally:
        os.chdir(cwd)
    assert code in (0, 2)
    if code == 2:
        lines = err.getvalue().rstrip("\n").split("\n")
        assert lines and lines[-1].endswith("nothing was written.")
        assert all(line.startswith(("conf.yaml:", "environment:")) for line in lines[:-1]), lines
    else:
        assert out.getvalue().startswith("ok: pipeline ")


# ----------------------------------------------------------------------------------------------------------------
# YAML-level mutations: what a data-level mutation cannot produce (tags, anchors and aliases, deep nesting, huge
# scalars, arbitrary bytes), each run under a memory ceiling and a time bound.
# ----------------------------------------------------------------------------------------------------------------

BASE_TEXTS = [p.read_bytes() for p in BASE_FILES[:2]]
BOMB = (
    b"{a: &a [x, x, x, x, x, x, x, x, x], b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a], "
    b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b], d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c], "
    b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d], f: [*e, *e, *e, *e, *e, *e, *e, *e, *e]}"
)

fragments = st.one_of(
    st.sampled_from(
        [
            b"!Sub ",
            b"!Ref ",
            b"!!python/object/apply:os.system ",
            b"!!binary ",
            b"!!set ",
            b"!!omap ",
            b"!GetAtt ",
            b"!!str ",
            b"!!int ",
            b"!!float ",
            b"!!timestamp ",
            b"&anchor ",
            b"*anchor",
            b"*nowhere",
            b"<<: 3\n",
            b"<<: *anchor\n",
            b"? [a, b]\n: 1\n",
            b"'",
            b'"',
            b"[",
            b"{",
            b"\t",
            b"\x00",
            b"\x07",
            b"\xff\xfe",
            b"\xc3",
            b"\xe9",
            b"---\n",
            b"...\n",
            b"%YAML 1.1\n",
            b".nan",
            b".inf",
            b"-.inf",
            b"~",
            b"0x1F",
            b"0o17",
            b"1_000",
            b"2024-13-45",
            b"${HOME}",
            b"${params.X}",
            b"/proc/self/environ",
            b"../../../etc/passwd",
            BOMB,
        ]
    ),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 3000).map(lambda n: b"{a: " * n + b"1" + b"}" * n),
    st.integers(1, 200_000).map(lambda n: b"9" * n),
    st.integers(1, 200_000).map(lambda n: b"x" * n),
    st.binary(max_size=16),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base=st.sampled_from(range(len(BASE_TEXTS))),
    where=st.integers(0, 10**6),
    fragment=fragments,
    replace=st.integers(0, 12),
    after_colon=st.booleans(),
)
def test_yaml_level_mutation_is_clean_and_bounded(
    tmp_path_factory, base, where, fragment, replace, after_colon
) -> None:
    import os

    from tests.unit.config.bounds import bounded

    text = BASE_TEXTS[base]
    if after_colon:  # put the fragment where a value starts, so tags and aliases land on values
        colons = [i + 2 for i in range(len(text) - 1) if text[i : i + 2] == b": "]
        at = colons[where % len(colons)]
    else:
        at = where % (len(text) + 1)
    mutated = text[:at] + fragment + text[at + replace :]
    work = tmp_path_factory.mktemp("yamlmut")
    (work / "conf.yaml").write_bytes(mutated)
    out, err = io.StringIO(), io.StringIO()
    cwd = Path.cwd()
    os.chdir(work)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), bounded() as usage:
            code = main(["validate", "--config", "conf.yaml"])
    finally:
        os.chdir(cwd)
    assert code in (0, 2)
    assert usage.seconds < 15, usage.seconds  # generous: the machine may be busy
    assert usage.growth_mb < 300, usage.growth_mb
    if code == 2:
        lines = err.getvalue().rstrip("\n").split("\n")
        assert lines[-1].endswith("nothing was written.")
        assert all(line.startswith(("conf.yaml:", "environment:")) for line in lines[:-1]), lines
    else:
        assert out.getvalue().startswith("ok: pipeline ")
