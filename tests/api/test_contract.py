"""The OpenAPI contract, fuzzed by schemathesis against a live server on the real database.

Every operation is called with generated valid and invalid input, as each role and without
a key. The run fails on any 5xx, any status the operation's entry does not list, and any
answer whose content type, headers or body contradict the document. Bounded: fixed seed,
a fixed number of cases spread over the operations.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import hypothesis.strategies as st
import pytest
import schemathesis
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok

from runtime.apikeys import Role, create_key
from runtime.database import open_pool
from service.process import opsgraph_env, serving

SEED = 20261201
CASES = 2000
"""Spread over the operations (at least 25 each): about 2.5 minutes on two cores."""
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
CALLERS = (None, Role.ADMIN, Role.OPERATOR, Role.REVIEWER)
"""Who calls: no key at all, or a valid key of each role."""


@pytest.fixture(scope="module")
def live_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`opsgraph serve` (its worker too, so it is ready) as a child process on loopback,
    with every webhook source enabled so their signature checks are exercised too."""
    folder: Path = tmp_path_factory.mktemp("contract")
    env = opsgraph_env(folder, database_url=database_url) | {
        "OPSGRAPH_SALEOR_HMAC_SECRET": "saleor-contract-secret",
        "OPSGRAPH_SHOPIFY_SECRETS": "shpss_contract",
        "OPSGRAPH_STRIPE_SECRETS": "whsec_contract",
        "OPSGRAPH_STANDARD_WEBHOOK_SECRETS": "crm=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "OPSGRAPH_WORKER_CONCURRENCY": "1",
        "OPSGRAPH_LOG_LEVEL": "WARNING",
    }
    with serving(env, log=folder / "serve.log") as url:
        deadline = time.monotonic() + 60
        while httpx.get(f"{url}/readyz").status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not become ready")
            time.sleep(0.2)
        yield url


@pytest.fixture(scope="module")
async def role_keys(database_url: str) -> dict[Role, str]:
    async with open_pool(database_url, min_size=1, max_size=1) as pool:
        return {
            role: (await create_key(pool, tenant_id="default", name=f"contract-{role}", role=role))[
                1
            ]
            for role in Role
        }


@pytest.fixture(scope="module")
def api_schema(live_url: str) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict(
        {"checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}}}
    )
    return schemathesis.openapi.from_url(f"{live_url}/openapi.json", config=config)


def caller_for(case: Case[Any]) -> Role | None:
    """A caller chosen by the case's own content: evenly spread, and the same on a replay."""
    sent = repr((case.path_parameters, case.query, case.headers, case.body))
    return CALLERS[zlib.crc32(sent.encode("utf-8", "backslashreplace")) % len(CALLERS)]


def fuzz(operation: APIOperation[Any, Any, Any, Any], keys: dict[Role, str], examples: int) -> None:
    """Call `operation` with generated input, valid and invalid, as every caller."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=cases)
    def run(case: Case[Any]) -> None:
        caller = caller_for(case)
        headers = {} if caller is None else {"Authorization": f"Bearer {keys[caller]}"}
        case.call_and_validate(headers=headers)

    run()


def test_every_answer_is_documented(
    api_schema: schemathesis.BaseSchema, role_keys: dict[Role, str]
) -> None:
    results = list(api_schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results) >= 16, "every operation's schema must load"
    examples = max(25, CASES // len(operations))
    failures = []
    for operation in operations:
        try:
            fuzz(operation, role_keys, examples)
        except (Exception, FailureGroup) as exc:  # report every operation's failures
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
