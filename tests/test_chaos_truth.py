"""`make chaos` judges every answer by Ordergroove's journal (bench/chaos_truth.py): each
must-be-zero count fires on the falsehood it names, and stays at 0 on the truth, including
the allowed answers (unconfirmed; a customer's change overwritten in the window no conditional
write can close)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bench.chaos_scenes import FIRST_ORDER, KINDS, MEETINGS, Scene, Sent, Staged
from bench.chaos_truth import ALL, MUST_BE_ZERO, OVERWROTE, Evidence, Record, Request, judge
from services.actions_service.domain import Action
from services.actions_service.store.rows import RecordState

QUANTITIES = next(s for s in MEETINGS if s.name == "two quantity changes")
SHARED = next(s for s in MEETINGS if s.name == "send now on a shared order")
NEXT = FIRST_ORDER.isoformat()


@dataclass
class Run:
    """One scene's customer `c1` and what the run left of it."""

    scene: Scene
    subscriptions: list[str]
    orders: list[str]
    sents: list[Sent] = field(default_factory=list)
    journal: list[Request] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)

    def act(self, action: Action, agent: str, sid: str, target: str = "", **body: str) -> None:
        self.sents.append(
            Sent(KINDS[action], agent, sid, target or sid, body, sent=True, answer=200)
        )

    def read(self, path: str, query: str = "") -> None:
        self.journal.append(Request("GET", path, query, 200, "", len(self.journal) + 1, 200))

    def write(
        self, path: str, body: dict[str, Any] | None = None, status: int = 200, query: str = ""
    ) -> None:
        text = json.dumps(body) if body is not None else ""
        # A 502 here is a fault answered after the write: it applied, its answer was lost.
        outcome = 200 if status == 502 else status
        served = len(self.journal) + 1
        self.journal.append(Request("PATCH", path, query, status, text, served, outcome))

    def record(self, action: Action, agent: str, state: RecordState, message: str = "") -> Record:
        reason = "STATE_CHANGED" if state is RecordState.REFUSED else ""
        found = Record(f"request-{agent}", action, state, agent, reason, message)
        # What the agent was last answered: done, refused, or nothing (settled later).
        answers = {RecordState.DONE: 200, RecordState.REFUSED: 400}
        for sent in self.sents:
            if sent.agent_id == agent:
                sent.answer = answers.get(state)
        self.records.append(found)
        return found

    def entry(self, item: str, body: str) -> None:
        self.timeline.append({"id": item, "customerId": "gladly-c1", "content": {"body": body}})

    def counts(self) -> dict[str, int]:
        staged = Staged(self.scene, "c1", self.subscriptions, self.orders, self.sents, ())
        verdicts = judge([staged], Evidence(self.journal, self.timeline, self.records))
        return {name: by[ALL] for name, by in verdicts.columns.items()}


def quantities() -> Run:
    run = Run(QUANTITIES, ["s1"], ["o1"])
    run.act(Action.CHANGE_QUANTITY, "a1", "s1", quantity="2")
    run.act(Action.CHANGE_QUANTITY, "a2", "s1", quantity="3")
    return run


def false_counts(counts: dict[str, int]) -> dict[str, int]:
    return {name: n for name, n in counts.items() if name in MUST_BE_ZERO and n}


def test_one_done_and_one_refused_as_they_happened_is_all_true() -> None:
    run = quantities()
    run.read("/subscriptions/s1/")
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 2})
    run.read("/subscriptions/s1/")  # the re-read; then the second agent's check
    done = run.record(Action.CHANGE_QUANTITY, "a1", RecordState.DONE)
    run.record(Action.CHANGE_QUANTITY, "a2", RecordState.REFUSED, "Nothing was changed")
    run.entry(done.change_item, "Quantity: 1 → 2. Subscription s1 (Coffee).")
    counts = run.counts()
    assert false_counts(counts) == {}
    assert (counts["done"], counts["refused"], counts["timeline entries as owed"]) == (1, 1, 1)


def test_both_done_where_one_write_applied_is_a_false_done() -> None:
    run = quantities()
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 2})
    for agent, quantity in (("a1", 2), ("a2", 3)):
        done = run.record(Action.CHANGE_QUANTITY, agent, RecordState.DONE)
        run.entry(done.change_item, f"Quantity: 1 → {quantity}.")
    assert false_counts(run.counts()) == {'false "done"': 1}


def test_an_entry_whose_before_ordergroove_no_longer_held_is_a_false_done() -> None:
    """Both writes applied, one after the other: the second entry's "1 →" was 2 by then."""
    run = quantities()
    for agent, quantity in (("a1", 2), ("a2", 3)):
        run.read("/subscriptions/s1/")
        run.write("/subscriptions/s1/change_quantity/", {"quantity": quantity})
        done = run.record(Action.CHANGE_QUANTITY, agent, RecordState.DONE)
        run.entry(done.change_item, f"Quantity: 1 → {quantity}.")
    assert false_counts(run.counts()) == {'false "done"': 1}


def test_the_customers_change_after_the_check_is_overwritten_not_false() -> None:
    """Between the service's read and its write: no conditional write can close that."""
    run = quantities()
    run.sents.pop()
    run.read("/subscriptions/s1/")
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 5}, query="by=customer")
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 2})
    done = run.record(Action.CHANGE_QUANTITY, "a1", RecordState.DONE)
    run.entry(done.change_item, "Quantity: 1 → 2.")
    counts = run.counts()
    assert false_counts(counts) == {}
    assert (counts[OVERWROTE], counts["customer's own changes applied"]) == (1, 1)


def test_the_customers_change_before_the_check_is_a_false_done() -> None:
    """The check read it, and the action went ahead as if it had not."""
    run = quantities()
    run.sents.pop()
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 5}, query="by=customer")
    run.read("/subscriptions/s1/")
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 2})
    done = run.record(Action.CHANGE_QUANTITY, "a1", RecordState.DONE)
    run.entry(done.change_item, "Quantity: 1 → 2.")
    assert false_counts(run.counts()) == {'false "done"': 1}


def test_not_applied_when_the_write_applied_and_its_answer_was_lost() -> None:
    run = quantities()
    run.sents.pop()
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 2}, status=502)
    note = run.record(Action.CHANGE_QUANTITY, "a1", RecordState.NOT_APPLIED)
    run.entry(note.note_item, "An attempt … was not applied.")
    assert false_counts(run.counts()) == {'false "not applied"': 1}


def test_unconfirmed_is_allowed_applied_or_not_and_owes_its_note() -> None:
    run = quantities()
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 2}, status=502)
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 5}, query="by=customer")
    for agent in ("a1", "a2"):
        run.record(Action.CHANGE_QUANTITY, agent, RecordState.UNCONFIRMED)
    counts = run.counts()
    assert false_counts(counts) == {"timeline lost": 2}
    assert (counts["unconfirmed (allowed)"], counts["unconfirmed, the write applied"]) == (2, 1)


def test_a_write_applied_twice_an_entry_twice_and_one_nobody_was_owed() -> None:
    run = quantities()
    run.sents.pop()
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 2})
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 2})
    done = run.record(Action.CHANGE_QUANTITY, "a1", RecordState.DONE)
    run.entry(done.change_item, "Quantity: 1 → 2.")
    run.entry(done.change_item, "Quantity: 1 → 2.")
    run.entry("og-change_quantity-someone-else", "Quantity: 2 → 3.")
    assert false_counts(run.counts()) == {"double writes": 1, "timeline duplicated": 2}


def test_a_refused_write_answered_by_a_fault_after_it_did_not_apply() -> None:
    run = quantities()
    run.sents.pop()
    run.journal.append(
        Request("PATCH", "/subscriptions/s1/change_quantity/", "", 502, '{"quantity": 2}', 1, 400)
    )
    run.record(Action.CHANGE_QUANTITY, "a1", RecordState.NOT_APPLIED)
    assert false_counts(run.counts()) == {"timeline lost": 1}  # true, but its note is owed


def test_a_write_no_action_sent_and_a_record_no_action_made() -> None:
    run = quantities()
    run.sents.clear()
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 7})
    run.record(Action.CHANGE_QUANTITY, "a9", RecordState.REFUSED, "Nothing was changed")
    assert false_counts(run.counts()) == {"applied unasked": 1, "state disagrees": 1}


def shared_order() -> Run:
    run = Run(SHARED, ["s1", "s2", "s3"], ["o1", "o1", "o1"])
    run.act(Action.SEND_NOW, "a1", "s1", target="o1")
    return run


def test_send_now_names_what_its_order_held_when_it_was_sent() -> None:
    run = shared_order()
    run.read("/orders/", "subscription=s1&status=1")
    run.read("/items/", "order=o1")
    run.write("/orders/o1/skip_subscription/", {"subscription": "s3"}, query="by=customer")
    run.write("/orders/o1/send_now/")
    done = run.record(Action.SEND_NOW, "a1", RecordState.DONE)
    every = "1 of Coffee (subscription s1); 1 of Filters (subscription s2)"
    run.entry(
        done.change_item,
        f"Order o1 placed now, the whole order: {every}; order date {NEXT} → today.",
    )
    assert false_counts(run.counts()) == {}  # true: the customer's skip came before its check

    stale = shared_order()
    stale.write("/orders/o1/skip_subscription/", {"subscription": "s3"}, query="by=customer")
    stale.read("/orders/", "subscription=s1&status=1")
    stale.read("/items/", "order=o1")
    stale.write("/orders/o1/send_now/")
    done = stale.record(Action.SEND_NOW, "a1", RecordState.DONE)
    three = f"{every}; 1 of Oat milk (subscription s3)"
    stale.entry(
        done.change_item,
        f"Order o1 placed now, the whole order: {three}; order date {NEXT} → today.",
    )
    assert false_counts(stale.counts()) == {'false "done"': 1}
