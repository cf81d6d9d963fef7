"""Fuzzing the files padserver reads: controller mappings, the config and projects, each a real one with any of
its values replaced by something adversarial (and raw text). Each either loads or is refused with the error
that names the file's problem; a project with a damaged value loads with that value's default and a warning.
Never another exception: on stage that would be a daemon that does not start, or one that stops."""

from __future__ import annotations

import glob
import math
import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from padserver.config import ConfigError, load_config
from padserver.control.mapping_files import parse_mapping, shipped_dir
from padserver.control.mappings import MappingError
from padserver.projects.document import DocumentError, from_document, to_document
from padserver.state.project import Project

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63), 10**30, 1_000_000_000]),
    st.floats(),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.text(max_size=20),
    st.sampled_from(["x" * 5000, "abc", "", "0x7f", "[0, 1000000000]", "é" * 30]),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)


def _paths(doc, prefix=()):
    """Every place in a YAML document: keys of mappings and items of lists, recursively."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield prefix + (key,)
            yield from _paths(value, prefix + (key,))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield prefix + (i,)
            yield from _paths(value, prefix + (i,))


def _damaged(data, doc):
    """``doc`` with a few of its places given adversarial values."""
    import copy

    doc = copy.deepcopy(doc)
    places = list(_paths(doc))
    for _ in range(data.draw(st.integers(1, 3))):
        if not places:
            break
        path = data.draw(st.sampled_from(places))
        parent = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = data.draw(values)
        except (KeyError, IndexError, TypeError):
            continue  # (an earlier change replaced the way there)
    return doc


def _dump(doc) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


MAPPINGS = sorted(glob.glob(os.path.join(shipped_dir(), "*.yaml")))


@pytest.mark.parametrize("path", MAPPINGS, ids=os.path.basename)
def test_a_damaged_mapping_loads_or_is_refused_with_its_problems(path):
    doc = yaml.safe_load(open(path, encoding="utf-8"))

    @FUZZ
    @given(data=st.data())
    def check(data):
        try:
            parse_mapping(_dump(_damaged(data, doc)), path)
        except MappingError as exc:
            assert str(exc)

    check()


@FUZZ
@given(text=st.text(max_size=300))
def test_any_text_as_a_mapping_loads_or_is_refused_with_its_problems(text):
    try:
        parse_mapping(text, "fuzz.yaml")
    except MappingError as exc:
        assert str(exc)


def test_a_damaged_config_loads_or_is_refused_with_its_problems(tmp_path):
    from padserver.config import default_text

    doc = yaml.safe_load(default_text())
    path = tmp_path / "config.yaml"

    @FUZZ
    @given(data=st.data())
    def check(data):
        path.write_text(_dump(_damaged(data, doc)), encoding="utf-8")
        try:
            load_config(str(path), env={})
        except ConfigError as exc:
            assert str(exc)

    check()


def test_a_damaged_project_opens_with_defaults_for_what_is_damaged():
    project = Project()
    project.pad(3).gain = 0.5
    doc = to_document(project, "fuzz")

    @FUZZ
    @given(data=st.data())
    def check(data):
        damaged = _damaged(data, doc)
        problems: list[str] = []
        try:
            opened = from_document(damaged, problems)
        except DocumentError as exc:  # (not a project at all: its version, or not a mapping)
            assert str(exc)
            return
        for pad in opened.pads:
            assert 0.0 <= pad.gain <= 2.0 and -1.0 <= pad.pan <= 1.0
            assert 0.0 <= pad.region[0] < pad.region[1] <= 1.0
        assert 20.0 <= opened.tempo <= 300.0

    check()
