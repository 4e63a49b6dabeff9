"""Confirmation tokens approve one action with one set of parameters, for a limited time."""

from snowbatch.core.checkpoints import ConfirmationSigner, canonical

SIGNER = ConfirmationSigner(b"k" * 32, ttl_seconds=300)
PARAMS = {"plan_id": "plan_abc", "pool": "CPU_POOL"}


def test_a_token_verifies_for_the_same_action_and_parameters() -> None:
    token = SIGNER.issue("submit_batch_job", PARAMS, now=1000)
    assert SIGNER.verify(token, "submit_batch_job", dict(reversed(list(PARAMS.items()))), now=1100) == "ok"


def test_a_token_is_refused_for_other_parameters_or_another_action() -> None:
    token = SIGNER.issue("submit_batch_job", PARAMS, now=1000)
    assert SIGNER.verify(token, "submit_batch_job", {**PARAMS, "pool": "GPU_POOL"}, now=1000) == "mismatch"
    assert SIGNER.verify(token, "delete_job", PARAMS, now=1000) == "mismatch"


def test_a_token_expires() -> None:
    token = SIGNER.issue("cancel_job", PARAMS, now=1000)
    assert SIGNER.verify(token, "cancel_job", PARAMS, now=1301) == "expired"


def test_a_forged_expiry_breaks_the_mac() -> None:
    token = SIGNER.issue("cancel_job", PARAMS, now=1000)
    _, mac = token.split(".")
    assert SIGNER.verify(f"99999999999.{mac}", "cancel_job", PARAMS, now=1000) == "mismatch"


def test_tokens_from_another_key_are_refused() -> None:
    other = ConfirmationSigner(b"x" * 32, ttl_seconds=300)
    assert (
        SIGNER.verify(other.issue("cancel_job", PARAMS, now=1000), "cancel_job", PARAMS, now=1000)
        == "mismatch"
    )


def test_garbage_is_malformed() -> None:
    assert SIGNER.verify("not-a-token", "cancel_job", PARAMS, now=1000) == "malformed"


def test_canonical_form_ignores_key_order_and_unset_values() -> None:
    assert canonical("a", {"x": 1, "y": None}) == canonical("a", {"x": 1})


def test_a_token_is_bound_to_the_caller_it_was_issued_to() -> None:
    token = SIGNER.issue("submit_batch_job", PARAMS, now=1000, principal="principal:alice")
    assert SIGNER.verify(token, "submit_batch_job", PARAMS, now=1000, principal="principal:alice") == "ok"
    assert SIGNER.verify(token, "submit_batch_job", PARAMS, now=1000, principal="principal:bob") == "mismatch"
    assert SIGNER.verify(token, "submit_batch_job", PARAMS, now=1000) == "mismatch"
