"""`make chaos` judges every answer by Ordergroove's journal (bench/chaos_truth.py): each
must-be-zero count fires on the falsehood it names, and stays at 0 on the truth, including
the allowed answers (unconfirmed; a customer's change overwritten in the window no conditional
write can close)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from bench.chaos_scenes import DISCOUNT_WRITE, FIRST_ORDER, KINDS, MEETINGS, Scene, Sent, Staged
from bench.chaos_truth import (
    ALL,
    MUST_BE_ZERO,
    OVERWROTE,
    Evidence,
    Record,
    Request,
    judge,
)
from services.actions_service.domain import Action, Period, periods_later
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
    items: list[str] = field(default_factory=list)  # each subscription's in its next order
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # as seeded, read
    sents: list[Sent] = field(default_factory=list)
    journal: list[Request] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)

    def act(
        self, action: Action, agent: str, sid: str, target: str = "", order: str = "", **body: str
    ) -> None:
        order = order or (target if KINDS[action].names == "order" else "")
        self.sents.append(
            Sent(KINDS[action], agent, sid, target or sid, body, order, sent=True, answer=200)
        )

    def read(self, path: str, query: str = "") -> None:
        self.journal.append(Request("GET", path, query, 200, "", len(self.journal) + 1, 200))

    def write(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        status: int = 200,
        query: str = "",
        method: str = "PATCH",
        outcome: int = 200,
    ) -> None:
        text = json.dumps(body) if body is not None else ""
        # A 502 here is a fault answered after the write: it applied (`outcome`), its answer
        # was lost.
        outcome = outcome if status == 502 else status
        served = len(self.journal) + 1
        self.journal.append(Request(method, path, query, status, text, served, outcome))

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
        staged = Staged(
            self.scene, "c1", self.subscriptions, self.orders, self.sents, (), items=self.items
        )
        staged.rows = self.rows
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


# --- the six actions on the next order, its items, the product and the address ----------------

DISCOUNTS = next(s for s in MEETINGS if s.name.startswith("discounts"))
CANCEL_SHARED = next(s for s in MEETINGS if s.name.startswith("cancel this order"))
ONE_ITEM = next(s for s in MEETINGS if s.name.startswith("remove from order"))
SWAPS = next(s for s in MEETINGS if s.name.startswith("two swaps"))
A_MONTH_LATER = periods_later(FIRST_ORDER, 1, Period.MONTH).isoformat()


def _discount(request: str, order: str = "o1") -> dict[str, Any]:
    """A discount's POST body, as the service sends it (recorded issueOneTimeDiscount)."""
    return {
        "merchant": "m",
        "customer": "c1",
        "order": order,
        "description": f"chaos goodwill a1 [request {request}]",
        "incentive": {
            "name": "chaos goodwill a1",
            "discount_type": "Discount Amount",
            "value": "5",
            "field": "sub_total",
            "type": "Discount",
            "target": "order",
        },
    }


def discount(answers: list[tuple[int, int]], state: RecordState) -> Run:
    """One agent's discount on order o1, POSTed once per (status, outcome) in `answers`, its
    record in `state` (and its entry or note)."""
    run = Run(DISCOUNTS, ["s1"], ["o1"], ["i1"])
    run.act(Action.ISSUE_DISCOUNT, "a1", "s1", target="o1", order="o1", reason="chaos goodwill a1")
    run.read("/orders/", "subscription=s1&status=1")
    for status, outcome in answers:
        run.write(DISCOUNT_WRITE, _discount("request-a1"), status, method="POST", outcome=outcome)
    record = run.record(Action.ISSUE_DISCOUNT, "a1", state)
    if state is RecordState.DONE:
        words = "none → 5 USD off the whole order (chaos goodwill a1)"
        run.entry(record.change_item, f"Discounts on order o1 of {NEXT}: {words}. Subscription s1")
    else:
        run.entry(record.note_item, "An attempt … was not applied.")
    return run


def test_a_discount_whose_answer_was_lost_settled_by_listing_is_one_write() -> None:
    """Created (answered 201), the answer lost (502); the retry found it: one discount."""
    counts = discount([(502, 201)], RecordState.DONE).counts()
    assert false_counts(counts) == {}
    assert (counts["done"], counts["applied (by us, in the journal)"]) == (1, 1)


def test_two_discounts_naming_one_request_are_a_double_write() -> None:
    run = discount([(502, 201), (201, 201)], RecordState.DONE)
    assert false_counts(run.counts()) == {"double writes": 1}


def test_a_discount_refused_before_it_was_created_is_no_write() -> None:
    """A fault before the write (no outcome), then the discount created once."""
    run = discount([(503, 0), (201, 201)], RecordState.DONE)
    run.journal[1] = dataclasses.replace(run.journal[1], performed=None, outcome=None)
    assert false_counts(run.counts()) == {}


def test_a_discount_settled_as_not_applied_while_created_is_false() -> None:
    run = discount([(502, 201)], RecordState.NOT_APPLIED)
    assert false_counts(run.counts()) == {'false "not applied"': 1}


def test_a_discount_no_request_asked_for_is_applied_unasked() -> None:
    run = discount([(201, 201)], RecordState.DONE)
    run.write(DISCOUNT_WRITE, _discount("request-nobody"), 201, method="POST")
    assert false_counts(run.counts()) == {"applied unasked": 1}


def cancelled_shared_order(*, customer_skips_before_the_check: bool) -> Run:
    run = Run(CANCEL_SHARED, ["s1", "s2", "s3"], ["o1", "o1", "o1"], ["i1", "i2", "i3"])
    run.act(Action.CANCEL_ORDER, "a1", "s1", target="o1")
    skip = ("/orders/o1/skip_subscription/", {"subscription": "s3"})
    if customer_skips_before_the_check:
        run.write(*skip, query="by=customer")
    run.read("/orders/", "subscription=s1&status=1")
    run.read("/items/", "order=o1")
    run.write("/orders/o1/cancel/")
    done = run.record(Action.CANCEL_ORDER, "a1", RecordState.DONE)
    held = (
        "1 of Coffee (subscription s1); 1 of Filters (subscription s2); 1 of Oat (subscription s3)"
    )
    run.entry(
        done.change_item,
        f"Order o1 of {NEXT} cancelled, the whole order: {held}; next order {NEXT} → "
        f"{A_MONTH_LATER}. Subscription s1 (Coffee).",
    )
    return run


def test_cancel_this_order_names_what_the_order_held_and_the_next_one() -> None:
    assert (
        false_counts(cancelled_shared_order(customer_skips_before_the_check=False).counts()) == {}
    )
    stale = cancelled_shared_order(customer_skips_before_the_check=True)
    assert false_counts(stale.counts()) == {'false "done"': 1}  # s3 was no longer in it


def one_item() -> Run:
    run = Run(ONE_ITEM, ["s1", "s2"], ["o1", "o1"], ["i1", "i2"])
    run.act(Action.REMOVE_FROM_ORDER, "a1", "s1", target="i1", order="o1")
    run.act(Action.CHANGE_ITEM_QUANTITY, "a2", "s1", target="i1", order="o1", quantity="2")
    return run


def test_the_items_quantity_then_its_removal_as_they_happened() -> None:
    """The customer's quantity (the item's follows), the item's own, then the item removed."""
    run = one_item()
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 5}, query="by=customer")
    run.read("/items/", "order=o1")
    run.write("/items/i1/change_quantity/", {"quantity": 2})
    quantity = run.record(Action.CHANGE_ITEM_QUANTITY, "a2", RecordState.DONE)
    run.entry(
        quantity.change_item,
        f"Quantity in order o1 of {NEXT}: 5 → 2; later orders keep 5. Subscription s1 (Coffee).",
    )
    run.read("/items/", "order=o1")
    run.write("/items/i1/delete/", status=204, method="DELETE")
    removed = run.record(Action.REMOVE_FROM_ORDER, "a1", RecordState.DONE)
    run.entry(
        removed.change_item,
        f"Order o1 of {NEXT}: 2 of Coffee (subscription s1); 1 of Filters (subscription s2) → "
        "1 of Filters (subscription s2). Subscription s1 (Coffee).",
    )
    counts = run.counts()
    assert false_counts(counts) == {}
    assert (counts["done"], counts["customer's own changes applied"]) == (2, 1)


def test_an_item_quantity_entry_blind_to_the_customers_change_is_false() -> None:
    run = one_item()
    run.sents.pop(0)
    run.write("/subscriptions/s1/change_quantity/", {"quantity": 5}, query="by=customer")
    run.read("/items/", "order=o1")
    run.write("/items/i1/change_quantity/", {"quantity": 2})
    quantity = run.record(Action.CHANGE_ITEM_QUANTITY, "a2", RecordState.DONE)
    run.entry(quantity.change_item, f"Quantity in order o1 of {NEXT}: 1 → 2; later orders keep 1.")
    assert false_counts(run.counts()) == {'false "done"': 1}


def test_a_write_to_an_item_already_removed_is_not_replayed() -> None:
    """Ordergroove cannot have applied it: the run cannot vouch for such a scene."""
    run = one_item()
    run.write("/items/i1/delete/", status=204, method="DELETE")
    run.write("/items/i1/change_quantity/", {"quantity": 2})
    assert false_counts(run.counts())["scenes not replayed"] == 1


def swapped(*, customer_before_the_check: bool) -> Run:
    row = {"quantity": 1, "every": 1, "every_period": 3, "live": True, "product": "p0"}
    run = Run(SWAPS, ["s1"], ["o1"], rows={"s1": row})
    run.act(Action.SWAP_PRODUCT, "a1", "s1", product="pA")
    customer = ("/subscriptions/s1/change_product/", {"product": "pC"})
    if customer_before_the_check:
        run.write(*customer, query="by=customer")
    run.read("/subscriptions/s1/")
    if not customer_before_the_check:
        run.write(*customer, query="by=customer")
    run.write("/subscriptions/s1/change_product/", {"product": "pA"})
    done = run.record(Action.SWAP_PRODUCT, "a1", RecordState.DONE)
    run.entry(
        done.change_item,
        "Product: Coffee (p0) (19.99 USD) → Decaf (pA) (17.25 USD). Subscription s1 (Decaf).",
    )
    return run


def test_a_swap_over_the_customers_own_is_overwritten_or_false_by_when_it_came() -> None:
    after_the_check = swapped(customer_before_the_check=False).counts()
    assert false_counts(after_the_check) == {}
    assert after_the_check[OVERWROTE] == 1
    assert false_counts(swapped(customer_before_the_check=True).counts()) == {'false "done"': 1}


def test_a_new_address_is_named_in_the_catalogues_words() -> None:
    home = {"public_id": "home", "label": "Home", "first_name": "Dana", "address": "1 Main St"}
    work = {"public_id": "work", "label": "Work", "address": "2 Mart Plz", "city": "Chicago"}
    row = {"quantity": 1, "every": 1, "every_period": 3, "live": "True", "shipping_address": "home"}
    run = Run(SWAPS, ["s1"], ["o1"], rows={"s1": row, "home": home, "work": work})
    run.act(Action.CHANGE_SHIPPING_ADDRESS, "a1", "s1", address="work")
    run.read("/subscriptions/s1/")
    run.write("/subscriptions/s1/change_shipping/", {"shipping_address": "work"})
    done = run.record(Action.CHANGE_SHIPPING_ADDRESS, "a1", RecordState.DONE)
    text = "Ships to: Home: Dana, 1 Main St → Work: 2 Mart Plz, Chicago. Subscription s1."
    run.entry(done.change_item, text)
    assert false_counts(run.counts()) == {}
    run.timeline[0]["content"]["body"] = text.replace("Work: 2 Mart Plz", "Work: 3 Mart Plz")
    assert false_counts(run.counts()) == {'false "done"': 1}


def _second_discount(words: str) -> Run:
    """A second agent's discount on order o1 after the first's, its entry saying `words`."""
    run = discount([(201, 201)], RecordState.DONE)
    run.act(Action.ISSUE_DISCOUNT, "a2", "s1", target="o1", order="o1", reason="chaos goodwill a2")
    second = _discount("request-a2") | {"description": "chaos goodwill a2 [request request-a2]"}
    second["incentive"] = second["incentive"] | {"name": "chaos goodwill a2"}
    run.write(DISCOUNT_WRITE, second, 201, method="POST")
    done = run.record(Action.ISSUE_DISCOUNT, "a2", RecordState.DONE)
    run.entry(done.change_item, f"Discounts on order o1 of {NEXT}: {words}. Subscription s1")
    return run


def test_a_second_discount_names_the_one_before_it() -> None:
    words = "1 discount → 1 discount and 5 USD off the whole order (chaos goodwill a2)"
    counts = _second_discount(words).counts()
    assert false_counts(counts) == {}
    assert counts["done"] == 2


def test_a_second_discount_saying_none_before_is_a_false_entry() -> None:
    words = "none → 5 USD off the whole order (chaos goodwill a2)"
    assert false_counts(_second_discount(words).counts()) == {'false "done"': 1}
