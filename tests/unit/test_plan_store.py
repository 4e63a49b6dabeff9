"""The plan store of a long-running server: plans belong to their maker, expire, and are bounded."""

from snowbatch.app import PlanStore


def test_a_plan_is_found_only_by_the_caller_that_made_it() -> None:
    store = PlanStore(ttl_seconds=600, capacity=100)
    store.put("principal:alice", "plan_1", "alice's plan", now=0)
    assert store.get("principal:alice", "plan_1", now=1) == "alice's plan"
    assert store.get("principal:bob", "plan_1", now=1) is None


def test_a_plan_expires_after_its_lifetime() -> None:
    store = PlanStore(ttl_seconds=600, capacity=100)
    store.put("local", "plan_1", "plan", now=0)
    assert store.get("local", "plan_1", now=599) == "plan"
    assert store.get("local", "plan_1", now=600) is None
    assert len(store) == 0  # gone from memory, not just hidden


def test_the_store_keeps_at_most_its_capacity_dropping_the_oldest() -> None:
    store = PlanStore(ttl_seconds=600, capacity=20)
    for i in range(100):
        store.put(f"session:{i}", f"plan_{i}", i, now=i / 1000)
    assert len(store) == 20
    assert store.get("session:99", "plan_99", now=1) == 99
    assert store.get("session:0", "plan_0", now=1) is None


def test_one_caller_cannot_crowd_out_the_others() -> None:
    store = PlanStore(ttl_seconds=600, capacity=20)
    store.put("principal:bob", "bobs_plan", "bob's", now=0)
    for i in range(50):
        store.put("principal:alice", f"plan_{i}", i, now=1 + i / 1000)
    assert store.get("principal:bob", "bobs_plan", now=2) == "bob's"
    assert store.get("principal:alice", "plan_49", now=2) == 49
    assert len(store) <= 1 + 20 // 4
