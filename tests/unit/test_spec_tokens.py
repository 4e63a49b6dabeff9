"""A confirmation token, as the signer sees it: good through its last second, and only a token this
signer issued — anything else is refused as malformed or mismatched, never an error."""

import pytest

from snowbatch.core.checkpoints import ConfirmationSigner

TTL = 600
SIGNER = ConfirmationSigner(b"k" * 32, ttl_seconds=TTL)
PARAMS = {"name": "APPROVED_POOL", "max_nodes": 2}


def test_a_token_is_good_through_its_last_second_and_not_after() -> None:
    token = SIGNER.issue("create_compute_pool", PARAMS, now=1_000.0)
    assert SIGNER.verify(token, "create_compute_pool", PARAMS, now=1_000.0 + TTL) == "ok"
    assert SIGNER.verify(token, "create_compute_pool", PARAMS, now=1_000.5 + TTL) == "expired"
    assert SIGNER.verify(token, "create_compute_pool", PARAMS, now=999.0) == "ok"


def test_the_expiry_counts_from_the_second_the_token_was_issued() -> None:
    token = SIGNER.issue("create_compute_pool", PARAMS, now=1_000.9)
    assert token.split(".")[0] == str(1_000 + TTL)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-token",
        "1600.",
        "1600.abc",
        "1600." + "0" * 31,
        "1600." + "0" * 33,
        "abc." + "0" * 32,
        "-1600." + "0" * 32,
        "16.00." + "0" * 32,
        "." + "0" * 32,
    ],
)
def test_anything_but_a_stamp_and_a_32_character_mac_is_malformed(token: str) -> None:
    assert SIGNER.verify(token, "create_compute_pool", PARAMS, now=1_000.0) == "malformed"


def test_a_token_for_the_same_action_and_parameters_under_another_key_is_a_mismatch() -> None:
    other = ConfirmationSigner(b"x" * 32, ttl_seconds=TTL).issue("create_compute_pool", PARAMS, now=1_000.0)
    assert SIGNER.verify(other, "create_compute_pool", PARAMS, now=1_000.0) == "mismatch"
