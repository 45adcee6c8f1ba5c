"""Whether every answer of a `make chaos` run was true: what Ordergroove applied, from its request
journal, against what each action answered, recorded and put on the timeline.

What applied. Every request to Ordergroove's sandbox is journaled with its body, the status the
operation itself answered (`outcome`: also when a fault then replaced the answer, so that its
client cannot tell) and its place in the order the sandbox served requests in (`performed`: an
operation runs in one step of its event loop, so among writes this is the order the data
changed in). A write (a PATCH, a discount's POST, an item's DELETE) applied when its operation
answered 200 (a discount: 201; an item's removal: 204); a fault answered before it, or a refusal
(4xx), changed nothing. The customer's own writes carry a query of their own (`BY_CUSTOMER`);
the others are the service's.

Whose write. A service write is its action's by what it names: the write (the path's collection
and last segment), the id its path names (the subscription, the order the form showed, this
subscription's item in it; a discount: the order or the item its body names) and what it sets
(quantity, date, frequency, renewal, product, address; whose items a skip takes out), which no
two actions of a scene share. A discount is its action's by the request its description names
(`[request <id>]`), the record's: Ordergroove has no idempotency key, and two discounts naming
one request are a double write.

What happened. The scene's customer is seeded in a known state, read back as the merchant's
website reads it (its subscriptions, next orders and their items, its addresses), so replaying
its applied writes (the service's and the customer's) in `performed` order by Ordergroove's
rules (`World`: an order cancelled keeps its items and each subscription in it gets an order one
frequency later; an item's quantity is that order's only; an order whose last item leaves is
cancelled; a discount changes nothing the timeline states) gives the state right before and
right after each write: what a timeline entry's before → after must say (an order action's:
what the order held, each subscription and quantity; a swap's: the products' ids; an address
change's: both addresses in the catalogue's words).

The verdicts, per action:
- false "done": recorded done, while none of its writes applied; or its timeline
  entry says another before → after than the replay. An entry the customer's own change made
  untrue between the service's last read of those facts before its write and that write (or
  between the write and its re-read) is counted apart, as overwritten: Ordergroove has no
  conditional write, so nothing can close that window.
- false "not applied": refused or settled as not applied (every refusal says nothing was
  changed, but the one that says Ordergroove accepted the change and holds something else),
  while its write applied.
- double writes: its write applied more than once.
- applied unasked: a service write that no action sent (or none claims).
- state disagrees: a 200 answer without a completed record, a refusal with one, a record no
  action made, or two records for one action.
- timeline lost / duplicated: the entry owed (the change's for a completed action, the note of
  one settled as not applied or unconfirmed) missing, or an entry nobody was owed.
- unconfirmed is the honest answer when the state moved on: counted, allowed.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from bench.chaos_scenes import ACTION_OF_WRITE, BY_CUSTOMER, FIRST_ORDER, Sent, Staged
from services.actions_service.catalogue.base import date_text, period_text
from services.actions_service.catalogue.change_renewal import BEHAVIORS
from services.actions_service.domain import Action, Period, periods_later, timeline_item_id
from services.actions_service.errors import Reason
from services.actions_service.ordergroove import parse_address
from services.actions_service.store.rows import OPEN_STATES, RecordState

# The words of the refusal that says the write applied but Ordergroove holds something else.
ACCEPTED: Final = "Ordergroove accepted the change"
ALL: Final = "all"
OVERWROTE: Final = "overwrote the customer's change (no conditional write)"
COUNTED: Final = (
    "actions sent",
    "forms failed",
    "submitted twice at once",
    "submitted again",
    "done",
    "refused",
    "not applied, settled",
    "unconfirmed (allowed)",
    "unconfirmed, the write applied",
    "applied, then not as asked (said so)",
    OVERWROTE,
    "applied (by us, in the journal)",
    "customer's own changes applied",
    "timeline entries as owed",
)
MUST_BE_ZERO: Final = (
    'false "done"',
    'false "not applied"',
    "double writes",
    "applied unasked",
    "state disagrees",
    "open records left",
    "timeline lost",
    "timeline duplicated",
    # A scene whose writes the replay cannot follow is not judged: the run cannot vouch for it.
    "scenes not replayed",
)


@dataclass(frozen=True)
class Request:
    """A journal row."""

    method: str
    path: str
    query: str
    status: int | None
    body: str
    performed: int | None
    outcome: int | None = None  # what the operation answered (None: it never ran)

    @classmethod
    def of(cls, row: dict[str, Any]) -> Request:
        fields = ("method", "path", "query", "status", "body", "performed", "outcome")
        return cls(*(row[name] for name in fields))


# Ordergroove's writes: PATCH, a discount's POST (answered 201, or 200) and an item's DELETE
# (answered 200 or 204 without a body: recorded deleteOrderItem).
WRITE_METHODS: Final = ("PATCH", "POST", "DELETE")
APPLIED: Final = (200, 201, 204)
_MARKER: Final = re.compile(r"\[request ([^\]]+)\]")


@dataclass(frozen=True)
class Write:
    """An applied write: its place in the order of operations, what it is and whose."""

    performed: int
    write: str  # the path's collection and last segment: "subscriptions/cancel"
    target: str  # the id the path names (a discount: the order or the item its body names)
    body: dict[str, Any]
    by_customer: bool

    @property
    def value(self) -> str:
        """What it sets, as `asked_value` words an action's submission (a discount: the request
        its description names, which no two issued for one request may share)."""
        body, write = self.body, self.write.split("/")[-1]
        if write == "change_quantity":
            return str(body["quantity"])
        if write == "change_next_order_date":
            return str(body["order_date"])
        if write == "change_frequency":
            return f"{body['every']} {Period(body['every_period']).name.lower()}"
        if write == "change_renewal_behavior":
            return str(body["renewal_behavior"])
        if write == "skip_subscription":
            return str(body["subscription"])
        if write == "change_product":
            return str(body["product"])
        if write == "change_shipping":
            return str(body["shipping_address"])
        if write == "create":
            return requested(str(body.get("description", "")))
        return ""

    @property
    def key(self) -> tuple[str, str, str]:
        return self.write, self.target, self.value


def requested(description: str) -> str:
    """The request a discount's description names ("" for none)."""
    found = _MARKER.search(description)
    return found.group(1) if found else ""


def write_of(sent: Sent, record: Record | None) -> tuple[str, str, str]:
    """The write the action sends, as `Write.key` names an applied one (a discount: by the
    request its record names)."""
    if sent.kind.action is Action.ISSUE_DISCOUNT:
        request = record.request_id if record is not None else f"none recorded ({sent.agent_id})"
        return sent.kind.write, sent.target_id, request
    return sent.kind.write, sent.target_id, asked_value(sent)


def asked_value(sent: Sent) -> str:
    """What the action's write sets, from the submitted form (Skip: whose items leave; Issue
    Discount: its name, the reason)."""
    body, action = sent.body, sent.kind.action
    if action is Action.SKIP:
        return sent.subscription_id
    if action in (Action.CHANGE_QUANTITY, Action.CHANGE_ITEM_QUANTITY):
        return str(int(body["quantity"]))
    if action is Action.CHANGE_NEXT_ORDER_DATE:
        return str(body["orderDate"])
    if action is Action.CHANGE_FREQUENCY:
        return f"{int(body['every'])} {body['period']}"
    if action is Action.CHANGE_RENEWAL:
        return str(body["renewal"])
    if action is Action.SWAP_PRODUCT:
        return str(body.get("product", ""))
    if action is Action.CHANGE_SHIPPING_ADDRESS:
        return str(body.get("address", ""))
    if action is Action.ISSUE_DISCOUNT:
        return str(body.get("reason", "")).strip()
    return ""


def applied_writes(journal: Iterable[Request]) -> list[Write]:
    """The writes that applied, in the order they changed Ordergroove's data."""
    applied = []
    for row in journal:
        if row.method not in WRITE_METHODS or row.outcome not in APPLIED:
            continue
        assert row.performed is not None  # it ran
        body = json.loads(row.body) if row.body else {}
        body = body if isinstance(body, dict) else {}
        # /{collection}/{id}/{write}/, or a discount's /one_time_incentives/create/
        segments = row.path.strip("/").split("/")
        if len(segments) == 3:
            collection, target, write = segments
        else:
            collection, write = segments
            target = str(body.get("item") or body.get("order") or "")
        by_customer = BY_CUSTOMER in row.query
        applied.append(Write(row.performed, f"{collection}/{write}", target, body, by_customer))
    return sorted(applied, key=lambda w: w.performed)


# --- the replay: Ordergroove's rules for the facts the timeline states --------------------------


@dataclass
class Sub:
    quantity: int = 1
    every: int = 1
    period: Period = Period.MONTH
    live: bool = True
    renewal: str = "autorenew"
    product: str = ""
    address: str = ""


@dataclass
class Line:
    """An item of an order: its id ("made-…" for one a write made: the journal does not name
    it), whose, how many."""

    item: str
    sid: str
    quantity: int


@dataclass
class Shipment:
    """An order: its date, its items (in the order they were added), unsent or not."""

    place: date
    lines: list[Line]
    unsent: bool = True

    @property
    def members(self) -> list[str]:
        return [line.sid for line in self.lines]

    def line(self, sid: str) -> Line | None:
        return next((line for line in self.lines if line.sid == sid), None)

    def held(self) -> set[tuple[str, str]]:
        """What it ships, as the timeline's words list it: (quantity, subscription)."""
        return {(str(line.quantity), line.sid) for line in self.lines}


@dataclass
class World:
    """One customer's subscriptions and orders, as the sandbox holds them (services/
    ordergroove_sandbox/store.py, the rules it takes from the reference)."""

    subs: dict[str, Sub]
    orders: dict[str, Shipment]
    made: int = 0  # orders and items the writes made (their ids are not in the journal)
    discounts: list[str] = field(default_factory=list)  # the orders they are on

    @classmethod
    def seeded(cls, staged: Staged) -> World:
        """As the scene's seeding read it (without a reading: as the scene's seeds say, every
        next order on FIRST_ORDER)."""
        subs = {sid: _seeded_sub(staged, i, sid) for i, sid in enumerate(staged.subscription_ids)}
        orders: dict[str, Shipment] = {}
        for sid, order_id in zip(staged.subscription_ids, staged.order_ids, strict=True):
            if order_id and order_id not in orders:
                row = staged.rows.get(order_id, {})
                place = date.fromisoformat(row["place"][:10]) if row else FIRST_ORDER
                orders[order_id] = Shipment(place, [])
            if order_id and order_id not in staged.lines:
                item = staged.item_of(sid) or f"seeded-{sid}"
                orders[order_id].lines.append(Line(item, sid, subs[sid].quantity))
        for order_id, rows in staged.lines.items():
            orders[order_id].lines = [
                Line(str(r["public_id"]), str(r["subscription"]), int(r["quantity"])) for r in rows
            ]
        return cls(subs, orders)

    def next_order(self, sid: str) -> str | None:
        held = [(o.place, oid) for oid, o in self.orders.items() if o.unsent and sid in o.members]
        return min(held)[1] if held else None

    def next_date(self, sid: str) -> date | None:
        upcoming = self.next_order(sid)
        return self.orders[upcoming].place if upcoming else None

    def order_of_item(self, item: str) -> str:
        """The order that holds the item."""
        [found] = [oid for oid, o in self.orders.items() if any(i.item == item for i in o.lines)]
        return found

    def apply(self, write: Write) -> None:
        """What an applied write did (it applied: Ordergroove's preconditions held)."""
        body, target = write.body, write.target
        collection, name = write.write.split("/")
        if collection == "orders":
            self._order_write(name, target, body)
        elif collection == "items":
            self._item_write(name, target, body)
        elif collection == "one_time_incentives":
            item = write.body.get("item")
            self.discounts.append(self.order_of_item(item) if item else write.target)
        else:
            self._subscription_write(name, self.subs[target], target, body)

    def _order_write(self, write: str, order_id: str, body: dict[str, Any]) -> None:
        order = self.orders[order_id]
        assert order.unsent, "Ordergroove changes only unsent orders"
        if write == "skip_subscription":
            sid = str(body["subscription"])
            sub, line = self.subs[sid], order.line(sid)
            assert line is not None
            self._take_out(order_id, sid)
            self._add_order(periods_later(order.place, sub.every, sub.period), line)
        elif write == "send_now":
            order.unsent = False
        elif write == "cancel":
            order.unsent = False
            # UNVERIFIED (the sandbox's rule, Ordergroove does not say): each subscription it
            # held gets its next order one frequency after the cancelled one's date.
            for line in order.lines:
                sub = self.subs[line.sid]
                made = Line(self._made("item"), line.sid, sub.quantity)
                self._add_order(periods_later(order.place, sub.every, sub.period), made)
        else:
            raise ValueError(f"no rule for orders/{write}")

    def _item_write(self, write: str, item: str, body: dict[str, Any]) -> None:
        order_id = self.order_of_item(item)
        order = self.orders[order_id]
        assert order.unsent, "Ordergroove changes only unsent orders' items"
        [line] = [i for i in order.lines if i.item == item]
        if write == "change_quantity":
            line.quantity = int(body["quantity"])  # that order's item only
        elif write == "delete":
            self._take_out(order_id, line.sid)
        else:
            raise ValueError(f"no rule for items/{write}")

    def _subscription_write(self, write: str, sub: Sub, sid: str, body: dict[str, Any]) -> None:
        if write == "cancel":
            sub.live = False
            for oid in [oid for oid, o in self.orders.items() if o.unsent and sid in o.members]:
                self._take_out(oid, sid)
        elif write == "reactivate":
            sub.live, sub.every, sub.period = True, body["every"], Period(body["every_period"])
            first = body.get("next_order_date") or max(
                body["start_date"], datetime.now(UTC).date().isoformat()
            )
            self._add_order(date.fromisoformat(first), Line(self._made("item"), sid, sub.quantity))
        elif write == "change_next_order_date":
            moved, upcoming = date.fromisoformat(body["order_date"]), self.next_order(sid)
            assert upcoming is not None  # Ordergroove refuses the write without one
            order = self.orders[upcoming]
            if order.members == [sid]:
                order.place = moved  # alone in its order: the order moves
            else:
                line = order.line(sid)  # shared: its items go to an order of their own
                assert line is not None
                self._take_out(upcoming, sid)
                self._add_order(moved, line)
        elif write == "change_frequency":
            sub.every, sub.period = body["every"], Period(body["every_period"])
        elif write == "change_quantity":
            sub.quantity = body["quantity"]  # and its items in the orders to come
            for order in self.orders.values():
                if order.unsent:
                    for line in order.lines:
                        line.quantity = sub.quantity if line.sid == sid else line.quantity
        elif write == "change_renewal_behavior":
            sub.renewal = body["renewal_behavior"]
        elif write == "change_product":
            sub.product = str(body["product"])
        elif write == "change_shipping":
            sub.address = str(body["shipping_address"])
        else:
            raise ValueError(f"no rule for subscriptions/{write}")

    def _take_out(self, order_id: str, sid: str) -> None:
        order = self.orders[order_id]
        order.lines = [line for line in order.lines if line.sid != sid]
        order.unsent = order.unsent and bool(order.lines)  # emptied: cancelled

    def _add_order(self, place: date, line: Line) -> None:
        self.orders[self._made("order")] = Shipment(place, [line])

    def _made(self, what: str) -> str:
        self.made += 1
        return f"made-{what}-{self.made}"


def _seeded_sub(staged: Staged, i: int, sid: str) -> Sub:
    row = staged.rows.get(sid)
    if row is None:
        return Sub(live=not staged.scene.seeds[i].get("cancelled", False))
    return Sub(
        quantity=int(row["quantity"]),
        every=int(row["every"]),
        period=Period(int(row["every_period"])),
        # Ordergroove's `live` may be the string "True" (a demo quirk).
        live=str(row["live"]).lower() == "true",
        renewal=str((row.get("prepaid_subscription_context") or {}).get("renewal_behavior", "")),
        product=str(row.get("product") or ""),
        address=str(row.get("shipping_address") or ""),
    )


@dataclass(frozen=True)
class Step:
    """An applied write and the customer's state right before and right after it."""

    write: Write
    before: World
    after: World

    @property
    def order_id(self) -> str:
        """The order the write changed (an item's: the one holding it, right before)."""
        collection = self.write.write.split("/")[0]
        if collection == "items" or (
            collection == "one_time_incentives" and "item" in self.write.body
        ):
            return self.before.order_of_item(self.write.target)
        return self.write.target


class NotReplayed(Exception):
    """Ordergroove applied a write the replay holds impossible: it does not follow the scene."""


def replay(staged: Staged, writes: list[Write]) -> list[Step]:
    world, steps = World.seeded(staged), []
    for write in writes:
        before = copy.deepcopy(world)
        try:
            world.apply(write)
        except (AssertionError, KeyError, ValueError) as error:
            raise NotReplayed(f"{write.write} of {write.target} {write.body}: {error!r}") from error
        steps.append(Step(write, before, copy.deepcopy(world)))
    return steps


# Where each action's entry takes its facts from (the reads of its check and its re-read): its
# orders to come (dates), what the order holds (the contents an order action names), else the
# subscription.
FACT_READS: Final = {
    Action.SKIP: ("orders",),
    Action.CHANGE_NEXT_ORDER_DATE: ("orders",),
    Action.SEND_NOW: ("orders", "items"),
    Action.CANCEL_ORDER: ("orders", "items"),
    Action.CHANGE_ITEM_QUANTITY: ("items", "subscription"),
    Action.REMOVE_FROM_ORDER: ("items",),
    Action.ISSUE_DISCOUNT: ("orders",),
}


def _fact_read(read: Request, action: Action, sent: Sent) -> str:
    """Which of the action's facts a read takes ("" for none)."""
    if read.path == "/orders/" and f"subscription={sent.subscription_id}" in read.query:
        fact = "orders"
    elif read.path == "/items/" and sent.order_id and f"order={sent.order_id}" in read.query:
        fact = "items"
    elif read.path == f"/subscriptions/{sent.subscription_id}/":
        fact = "subscription"
    else:
        return ""
    return fact if fact in FACT_READS.get(action, ("subscription",)) else ""


def told(action: Action, sid: str, step: Step) -> tuple[str, str]:
    """What the entry of an action on the subscription must say, `before → after`, in the
    catalogue's words."""
    b, a = step.before.subs[sid], step.after.subs[sid]
    if action is Action.CANCEL:
        return "Status: active", "cancelled"
    if action is Action.REACTIVATE:
        first = date_text(step.after.next_date(sid))
        return (
            "Status: not active",
            f"active, {period_text(a.every, a.period)}; first order {first}",
        )
    if action is Action.CHANGE_NEXT_ORDER_DATE:
        return f"Next order: {date_text(step.before.next_date(sid))}", date_text(
            step.after.next_date(sid)
        )
    if action is Action.CHANGE_FREQUENCY:
        return f"Frequency: {period_text(b.every, b.period)}", period_text(a.every, a.period)
    if action is Action.CHANGE_QUANTITY:
        return f"Quantity: {b.quantity}", str(a.quantity)
    if action is Action.CHANGE_RENEWAL:
        return f"Renewal: {_renewal(b.renewal)}", _renewal(a.renewal)
    if action is Action.SKIP:
        skipped = date_text(step.before.orders[step.write.target].place)
        return (
            f"Skipped the {skipped} order ({step.write.target}): next order {skipped}",
            date_text(step.after.next_date(sid)),
        )
    raise AssertionError(f"no words for {action}")


def _renewal(behavior: str) -> str:
    return BEHAVIORS.get(behavior, behavior or "none")


def as_told(text: str, action: Action, sent: Sent, step: Step, staged: Staged) -> tuple[bool, bool]:
    """Whether the entry's before and its after are the replay's, each."""
    if action is Action.SEND_NOW:
        return sent_as_told(text, step), True
    if action is Action.CANCEL_ORDER:
        return cancelled_as_told(text, sent.subscription_id, step)
    if action is Action.REMOVE_FROM_ORDER:
        return removed_as_told(text, step)
    if action is Action.CHANGE_ITEM_QUANTITY:
        return item_quantity_as_told(text, sent.subscription_id, step)
    if action is Action.ISSUE_DISCOUNT:
        return discount_as_told(text, step)
    if action is Action.SWAP_PRODUCT:
        before, _, after = text.partition(" → ")
        sid = sent.subscription_id
        product_before, product_after = step.before.subs[sid].product, step.after.subs[sid].product
        return f"({product_before})" in before, f"({product_after})" in after
    if action is Action.CHANGE_SHIPPING_ADDRESS:
        sid = sent.subscription_id
        was = address_words(staged, step.before.subs[sid].address)
        now = address_words(staged, step.after.subs[sid].address)
        return f"Ships to: {was} → " in text, f" → {now}. " in text
    before, after = told(action, sent.subscription_id, step)
    return f"{before} → " in text, f" → {after}" in text


_SENT_ORDER = re.compile(r"Order (\S+) placed now, the whole order: (.*); order date (\S+) → today")
_CANCELLED = re.compile(
    r"Order (\S+) of (\S+) cancelled, the whole order: (.*); next order (\S+) → (.+?)\. "
    r"Subscription "
)
_CHANGED_ORDER = re.compile(r"Order (\S+) of (\S+): (.*) → (.*?)\. Subscription ")
_SHIPPED = re.compile(r"(\d+) of .* \(subscription (\S+)\)")


def _held(words: str) -> set[tuple[str, str]]:
    """ "2 of Coffee (subscription S); …" as (quantity, subscription) pairs."""
    return {(m[1], m[2]) for m in map(_SHIPPED.fullmatch, words.split("; ")) if m}


def sent_as_told(text: str, step: Step) -> bool:
    """Send Now's entry names the order, everything it held right before the write (each
    subscription and its quantity) and its date."""
    found = _SENT_ORDER.search(text)
    if found is None:
        return False
    order = step.before.orders[step.write.target]
    return (found.group(1), found.group(3), _held(found.group(2))) == (
        step.write.target,
        date_text(order.place),
        order.held(),
    )


def cancelled_as_told(text: str, sid: str, step: Step) -> tuple[bool, bool]:
    """Cancel This Order's entry names the order, its date and everything it held right before
    the write; then the subscription's next order after it."""
    found = _CANCELLED.search(text)
    if found is None:
        return False, False
    order = step.before.orders[step.write.target]
    place = date_text(order.place)
    before = (found.group(1), found.group(2), _held(found.group(3)), found.group(4)) == (
        step.write.target,
        place,
        order.held(),
        place,
    )
    return before, found.group(5) == date_text(step.after.next_date(sid))


def removed_as_told(text: str, step: Step) -> tuple[bool, bool]:
    """Remove From Order's entry names the order, its date and what it held right before the
    write → right after it."""
    found = _CHANGED_ORDER.search(text)
    if found is None:
        return False, False
    order_id = step.order_id
    before_order, after_order = step.before.orders[order_id], step.after.orders[order_id]
    before = (found.group(1), found.group(2), _held(found.group(3))) == (
        order_id,
        date_text(before_order.place),
        before_order.held(),
    )
    return before, _held(found.group(4)) == after_order.held()


def item_quantity_as_told(text: str, sid: str, step: Step) -> tuple[bool, bool]:
    """ "Quantity in order O of D: 1 → 2; later orders keep 1" as the replay has them."""
    order_id = step.order_id
    before_order, after_order = step.before.orders[order_id], step.after.orders[order_id]
    was, now = before_order.line(sid), after_order.line(sid)
    before = f"Quantity in order {order_id} of {date_text(before_order.place)}: "
    before += f"{was.quantity if was else 'none'} → "
    after = f" → {now.quantity if now else 'none'}; later orders keep "
    after += str(step.after.subs[sid].quantity)
    return before in text, after in text


def discount_as_told(text: str, step: Step) -> tuple[bool, bool]:
    """ "Discounts on order O of D: 1 discount → 1 discount and 5 USD off the whole order
    (reason)": the order the discount is on (an item's: the order holding it), the discounts
    it held before, and the discount Ordergroove created."""
    order_id = step.order_id
    place = date_text(step.before.orders[order_id].place)
    held = step.before.discounts.count(order_id)
    before = "none" if not held else f"{held} discount{'s' if held > 1 else ''}"
    incentive = step.write.body.get("incentive", {})
    value, name = re.escape(str(incentive.get("value"))), re.escape(str(incentive.get("name")))
    unit = "%" if incentive.get("discount_type") == "Discount Percent" else r"( \S+)?"
    on = "whole order" if incentive.get("target") == "order" else "item"
    also = "" if not held else re.escape(f"{before} and ")
    after = re.search(rf" → {also}{value}{unit} off the {on} \({name}\)", text)
    return f"Discounts on order {order_id} of {place}: {before} → " in text, after is not None


def address_words(staged: Staged, address_id: str) -> str:
    """An address as the catalogue words it (`change_shipping_address._words`, from the row
    as Ordergroove lists it)."""
    row = staged.rows.get(address_id)
    if row is None:
        return f"address {address_id}" if address_id else "no address"
    found = parse_address(row)
    return f"{found.label}: {found.text}" if found.label else found.text


# --- the records and the verdicts -------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    request_id: str
    action: Action
    state: RecordState
    agent_id: str
    reason: str  # a refusal's reason ("" otherwise)
    message: str

    @property
    def change_item(self) -> str:
        return timeline_item_id(self.action, self.request_id)

    @property
    def note_item(self) -> str:
        return timeline_item_id(self.action, self.request_id, "not-applied")

    @property
    def unconfirmed(self) -> bool:
        """Settled as unconfirmed, or refused by a retry as unconfirmed."""
        return self.state is RecordState.UNCONFIRMED or (
            self.state is RecordState.REFUSED and self.reason == Reason.ACTION_UNCONFIRMED
        )

    @property
    def accepted(self) -> bool:
        """Refused after the write: Ordergroove accepted it and holds something else."""
        return self.state is RecordState.REFUSED and ACCEPTED in self.message

    @property
    def not_applied(self) -> bool:
        """Says that nothing was changed."""
        refused = self.state is RecordState.REFUSED and not (self.unconfirmed or self.accepted)
        return refused or self.state is RecordState.NOT_APPLIED

    @property
    def owed_item(self) -> str | None:
        """The timeline item owed: the change's, or the settled record's note."""
        if self.state is RecordState.DONE:
            return self.change_item
        if self.state in (RecordState.NOT_APPLIED, RecordState.UNCONFIRMED):
            return self.note_item
        return None


@dataclass
class Evidence:
    """What the run left: Ordergroove's journal, the Gladly timeline, the action records."""

    journal: list[Request]
    timeline: list[dict[str, Any]]
    records: list[Record]


@dataclass
class Verdicts:
    """The table's columns (per kind of action, and all) and a line per must-be-zero count."""

    columns: dict[str, Counter[str]] = field(
        default_factory=lambda: {name: Counter() for name in (*COUNTED, *MUST_BE_ZERO)}
    )
    findings: list[str] = field(default_factory=list)
    stories: list[str] = field(default_factory=list)  # what happened in each meeting
    # The allowed overwrites, each with its scene's requests: how wide their windows were.
    overwrites: list[str] = field(default_factory=list)

    def add(self, column: str, action: Action, n: int | bool = 1) -> None:
        counts = self.columns[column]
        counts[action.value] += int(n)
        counts[ALL] += int(n)

    def found(self, column: str, action: Action, n: int | bool, words: str) -> None:
        self.add(column, action, max(int(n), 0))
        if n > 0:
            self.findings.append(f"{column}: {words}")


def judge(scenes: list[Staged], evidence: Evidence) -> Verdicts:
    verdicts = Verdicts()
    writes = applied_writes(evidence.journal)
    reads = [r for r in evidence.journal if r.method == "GET" and r.performed is not None]
    by_agent: dict[str, list[Record]] = {}
    for record in evidence.records:
        by_agent.setdefault(record.agent_id, []).append(record)
    items: dict[str, Counter[str]] = {}
    bodies: dict[str, str] = {}
    for entry in evidence.timeline:
        items.setdefault(entry["customerId"], Counter())[entry["id"]] += 1
        bodies[entry["id"]] = str(entry["content"].get("body", ""))
    owner = {i: s for s in scenes for i in (*s.subscription_ids, *s.order_ids, *s.items) if i}
    for staged in scenes:
        mine = [w for w in writes if owner.get(w.target) is staged]
        try:
            steps = replay(staged, mine)
        except NotReplayed as error:
            steps = []
            verdicts.columns["scenes not replayed"][ALL] += 1
            verdicts.findings.append(f"scenes not replayed: {staged.customer_id}: {error}")
        scene = SceneJudge(staged, steps, reads, by_agent, bodies, verdicts)
        found, overwrote = len(verdicts.findings), verdicts.columns[OVERWROTE][ALL]
        scene.judge()
        scene.judge_timeline(items.pop(staged.gladly_id, Counter()))
        if staged.meeting and any(sent.sent or sent.form_failed for sent in staged.sents):
            verdicts.stories.append(scene.story())
        if len(verdicts.findings) > found:
            verdicts.findings += [f"  {scene.story()}", *scene.requests(evidence.journal)]
        if verdicts.columns[OVERWROTE][ALL] > overwrote:
            verdicts.overwrites += [scene.story(), *scene.requests(evidence.journal)]
    for write in writes:
        if write.target not in owner:
            verdicts.found(
                "applied unasked",
                ACTION_OF_WRITE[write.write],
                1,
                f"{write.write} of {write.target}, no scene's",
            )
    for customer, left in items.items():
        verdicts.columns["timeline duplicated"][ALL] += sum(left.values())
        verdicts.findings.append(f"timeline duplicated: {sum(left.values())} entries of {customer}")
    for agent, records in by_agent.items():
        verdicts.columns["state disagrees"][ALL] += len(records)
        verdicts.findings.append(
            f"state disagrees: {len(records)} record(s) of {agent}, no action's"
        )
    return verdicts


@dataclass
class SceneJudge:
    """One scene's actions judged against its replayed writes."""

    staged: Staged
    steps: list[Step]
    reads: list[Request]
    by_agent: dict[str, list[Record]]
    bodies: dict[str, str]
    verdicts: Verdicts
    records: dict[str, Record] = field(default_factory=dict)  # by agent

    def judge(self) -> None:
        staged, verdicts = self.staged, self.verdicts
        for step in self.steps:
            if step.write.by_customer:
                verdicts.add("customer's own changes applied", ACTION_OF_WRITE[step.write.write])
        ours = [s for s in self.steps if not s.write.by_customer]
        claimed: set[tuple[str, str, str]] = set()
        for sent in staged.sents:
            self._tally(sent)
            if sent.sent:
                key = write_of(sent, self.records.get(sent.agent_id))
                assert key not in claimed, f"two actions of {staged.scene.name} name {key}"
                claimed.add(key)
                self._judge_action(sent, [s for s in ours if s.write.key == key])
        for step in ours:
            if step.write.key not in claimed:
                w = step.write
                verdicts.found(
                    "applied unasked",
                    ACTION_OF_WRITE[w.write],
                    1,
                    f"{self._where()}: {w.write} of {w.target} {w.body}",
                )

    def _tally(self, sent: Sent) -> None:
        verdicts, action = self.verdicts, sent.kind.action
        verdicts.add("actions sent", action, sent.sent)
        verdicts.add("forms failed", action, sent.form_failed)
        verdicts.add("submitted twice at once", action, sent.double_clicked)
        verdicts.add("submitted again", action, sent.resubmitted)
        records = self.by_agent.pop(sent.agent_id, [])
        verdicts.found("state disagrees", action, len(records) - 1, f"{self._who(sent)}: records")
        if not records:
            if sent.answer == 200:
                verdicts.found("state disagrees", action, 1, f"{self._who(sent)}: 200, no record")
            return
        record = self.records[sent.agent_id] = records[0]
        state = record.state
        verdicts.add("done", action, state is RecordState.DONE)
        verdicts.add("refused", action, record.not_applied and state is RecordState.REFUSED)
        verdicts.add("not applied, settled", action, state is RecordState.NOT_APPLIED)
        verdicts.add("unconfirmed (allowed)", action, record.unconfirmed)
        verdicts.add("applied, then not as asked (said so)", action, record.accepted)
        verdicts.found("open records left", action, int(state in OPEN_STATES), self._who(sent))
        refused = sent.answer is not None and 400 <= sent.answer < 500
        disagrees = (sent.answer == 200 and state is not RecordState.DONE) or (
            refused and state is RecordState.DONE
        )
        verdicts.found(
            "state disagrees",
            action,
            int(disagrees),
            f"{self._who(sent)}: answered {sent.answer}, recorded {state.value}",
        )

    def _judge_action(self, sent: Sent, applied: list[Step]) -> None:
        action, verdicts = sent.kind.action, self.verdicts
        record = self.records.get(sent.agent_id)
        verdicts.add("applied (by us, in the journal)", action, len(applied))
        verdicts.found(
            "double writes", action, len(applied) - 1, f"{self._who(sent)}: {len(applied)}"
        )
        if record is None:
            verdicts.found(
                "applied unasked",
                action,
                int(bool(applied)),
                f"{self._who(sent)}: no record",
            )
            return
        done = record.state is RecordState.DONE
        verdicts.found(
            'false "done"',
            action,
            int(done and not applied),
            f"{self._who(sent)}: no write applied",
        )
        verdicts.found(
            'false "not applied"',
            action,
            int(record.not_applied and bool(applied)),
            f"{self._who(sent)}: {record.state.value} {record.message!r}, yet applied",
        )
        verdicts.add("unconfirmed, the write applied", action, record.unconfirmed and bool(applied))
        if done and applied:
            self._judge_entry(record, sent, applied[0])

    def _judge_entry(self, record: Record, sent: Sent, step: Step) -> None:
        """The completed action's timeline entry against the replay (a missing entry is
        counted as lost). A side of it that the customer's own write made untrue in its
        window is counted as overwritten."""
        text = self.bodies.get(record.change_item)
        if text is None:
            return
        action = record.action
        before_true, after_true = as_told(text, action, sent, step, self.staged)
        if before_true and after_true:
            return
        explained = (before_true or self._raced(action, sent, step, before=True)) and (
            after_true or self._raced(action, sent, step, before=False)
        )
        if explained:
            self.verdicts.add(OVERWROTE, action)
            return
        self.verdicts.found(
            'false "done"', action, 1, f"{self._who(sent)}: the entry says {text!r}"
        )

    def _raced(self, action: Action, sent: Sent, step: Step, *, before: bool) -> bool:
        """Whether the customer's own write landed between the service's last read of the
        entry's facts before its write and the write (`before`), or between the write and the
        first such read after it."""
        at = step.write.performed
        reads: dict[str, list[int]] = {}
        for read in self.reads:
            fact = _fact_read(read, action, sent)
            if fact and read.performed is not None:
                reads.setdefault(fact, []).append(read.performed)
        if before:
            # Each fact as last read before the write; the window opens at the earliest. A fact
            # never read before it opens none: the check always reads them all.
            lasts = [max((p for p in ps if p < at), default=None) for ps in reads.values()]
            if not lasts or None in lasts:
                return False
            window = (min(p for p in lasts if p is not None), at)
        else:
            after = [p for ps in reads.values() for p in ps if p > at]
            window = (at, min(after, default=at))
        return any(
            s.write.by_customer and window[0] < s.write.performed < window[1] for s in self.steps
        )

    def judge_timeline(self, present: Counter[str]) -> None:
        for sent in self.staged.sents:
            record = self.records.get(sent.agent_id)
            owed = record.owed_item if record is not None else None
            if owed is None:
                continue
            action = sent.kind.action
            self.verdicts.add("timeline entries as owed", action, present[owed] > 0)
            self.verdicts.found(
                "timeline lost", action, int(present[owed] == 0), f"{self._who(sent)}"
            )
            self.verdicts.found(
                "timeline duplicated", action, present[owed] - 1, f"{self._who(sent)}"
            )
            del present[owed]
        left = sum(present.values())
        if left:
            self.verdicts.columns["timeline duplicated"][ALL] += left
            self.verdicts.findings.append(
                f"timeline duplicated: {left} entries owed to none of {self._where()}"
            )

    def story(self) -> str:
        """Each action's end and Ordergroove's writes in the order they applied."""

        def end(sent: Sent) -> str:
            record = self.records.get(sent.agent_id)
            if record is None:
                return "not sent" if not sent.sent else f"no record (answered {sent.answer})"
            return record.state.value + (f" {record.reason}" if record.reason else "")

        ends = "; ".join(
            f"{s.kind.action.value} {asked_value(s) if s.sent else ''} by {s.agent_id}: {end(s)}"
            for s in self.staged.sents
        )
        writes = ", ".join(
            f"{'the customer' if s.write.by_customer else 'we'} {s.write.write} {s.write.value}"
            for s in self.steps
        )
        return f"{self._where()}: {ends}. Applied: {writes or 'nothing'}"

    def requests(self, journal: list[Request]) -> list[str]:
        """The scene's requests to Ordergroove, in the order they were served."""
        staged = self.staged
        ids = [i for i in (*staged.subscription_ids, *staged.order_ids, *staged.items) if i]
        mine = [r for r in journal if any(i in f"{r.path}?{r.query} {r.body}" for i in ids)]
        return [
            f"    {r.performed} {r.method} {r.path}?{r.query} {r.body} → {r.status}"
            for r in sorted(mine, key=lambda r: r.performed or 0)
        ]

    def _who(self, sent: Sent) -> str:
        return f"{sent.kind.action.value} by {sent.agent_id} in {self._where()}"

    def _where(self) -> str:
        return f"{self.staged.scene.name} ({self.staged.customer_id})"
