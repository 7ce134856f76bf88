"""Each run makes its own boto3 session, but botocore's parsed service models are kept for
the process (checks.net.aws._ProcessLoader): a re-run must not parse them again."""

from __future__ import annotations

import dataclasses

import pytest

from checks.context import Context, Inputs
from checks.endpoints import Endpoints
from checks.net import aws


def _context() -> Context:
    endpoints = dataclasses.replace(Endpoints.from_env({}), aws_region="us-east-1",
                                    aws_static_credentials=("AKIDEXAMPLE", "not-a-secret"))
    return Context(endpoints=endpoints, inputs=Inputs(sender="a@example.com"))


def test_second_run_reuses_the_parsed_model() -> None:
    first = aws.client(_context(), "sesv2")
    second = aws.client(_context(), "sesv2")
    assert first is not second  # one client per run ...
    assert first.meta.service_model._service_description is \
        second.meta.service_model._service_description  # ... over one parsed model


def test_runs_keep_their_own_credentials() -> None:
    a, b = _context(), _context()
    b = dataclasses.replace(b, endpoints=dataclasses.replace(
        b.endpoints, aws_static_credentials=("AKIDOTHER", "other")))
    keys = {aws.client(c, "sesv2")._request_signer._credentials.access_key for c in (a, b)}
    assert keys == {"AKIDEXAMPLE", "AKIDOTHER"}


def test_aws_data_path_is_searched_first(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    loader = aws._botocore_session().get_component("data_loader")
    assert loader.search_paths[0] == str(tmp_path)
