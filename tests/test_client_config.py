"""ClientConfig from code and from the environment, and the retry policy's arithmetic."""

from __future__ import annotations

import pytest

from lsst.cmservice.butler.client import ClientConfig, RetryPolicy
from lsst.cmservice.butler.client._rpcs import call_metadata


def test_defaults_and_metadata() -> None:
    config = ClientConfig()
    assert config.address == "127.0.0.1:50051"
    assert config.timeout == 30.0
    assert config.retry == RetryPolicy()
    assert call_metadata(config, None) == [("x-caller", "cm-butler-gateway-client")]
    with_token = ClientConfig(token="t0k", caller="cm-service", send_request_ids=True)
    sent = dict(call_metadata(with_token, [("x-extra", "1")]))
    assert sent["authorization"] == "Bearer t0k"
    assert sent["x-caller"] == "cm-service"
    assert len(sent["x-request-id"]) == 16
    assert sent["x-extra"] == "1"
    # The caller's own request id wins over a generated one.
    ids = [v for k, v in call_metadata(with_token, [("x-request-id", "mine")]) if k == "x-request-id"]
    assert ids == ["mine"]
    assert "t0k" not in repr(with_token)


def test_from_env() -> None:
    env = {
        "CM_BUTLER_GATEWAY_CLIENT_ADDRESS": "unix:/run/cm/gateway.sock",
        "CM_BUTLER_GATEWAY_CLIENT_TOKEN": "secret",
        "CM_BUTLER_GATEWAY_CLIENT_TIMEOUT_SECONDS": "12.5",
        "CM_BUTLER_GATEWAY_CLIENT_CALLER": "cm-service-worker",
        "CM_BUTLER_GATEWAY_CLIENT_SEND_REQUEST_IDS": "true",
        "CM_BUTLER_GATEWAY_CLIENT_RETRY_MAX_ATTEMPTS": "7",
        "CM_BUTLER_GATEWAY_CLIENT_RETRY_INITIAL_BACKOFF_SECONDS": "0.5",
        "CM_BUTLER_GATEWAY_CLIENT_RETRY_MAX_BACKOFF_SECONDS": "4",
        "UNRELATED": "x",
    }
    config = ClientConfig.from_env(env)
    assert config == ClientConfig(
        address="unix:/run/cm/gateway.sock",
        token="secret",
        timeout=12.5,
        caller="cm-service-worker",
        send_request_ids=True,
        retry=RetryPolicy(max_attempts=7, initial_backoff=0.5, max_backoff=4.0),
    )
    assert ClientConfig.from_env({"CM_BUTLER_GATEWAY_CLIENT_TIMEOUT_SECONDS": "none"}).timeout is None
    assert ClientConfig.from_env({}, caller="override").caller == "override"
    assert ClientConfig.from_env({"CM_BUTLER_GATEWAY_CLIENT_ADDRESS": "  "}).address == "127.0.0.1:50051"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TIMEOUT_SECONDS", "soon", "CM_BUTLER_GATEWAY_CLIENT_TIMEOUT_SECONDS must be a number"),
        ("RETRY_MAX_ATTEMPTS", "1.5", "CM_BUTLER_GATEWAY_CLIENT_RETRY_MAX_ATTEMPTS must be a number"),
        ("SEND_REQUEST_IDS", "maybe", "CM_BUTLER_GATEWAY_CLIENT_SEND_REQUEST_IDS must be true or false"),
        ("ADDRESS", "unix:relative.sock", "absolute path"),
        ("TIMEOUT_SECONDS", "-1", "timeout must be positive"),
        ("RETRY_MAX_ATTEMPTS", "0", "max_attempts must be at least 1"),
    ],
)
def test_bad_environment_names_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ClientConfig.from_env({f"CM_BUTLER_GATEWAY_CLIENT_{variable}": value})


def test_backoff_bounds() -> None:
    policy = RetryPolicy(initial_backoff=0.1, max_backoff=0.5, multiplier=2.0)
    upper = [policy.backoff(n, rand=lambda low, high: high) for n in range(1, 6)]
    assert upper == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])
    assert all(policy.backoff(n, rand=lambda low, high: low) == 0.0 for n in range(1, 6))
    assert RetryPolicy.disabled().max_attempts == 1
