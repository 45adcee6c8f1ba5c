"""Who acts in `make chaos`: scenes, each an Ordergroove customer of its own with the agents'
actions on it (as Gladly sends them: the form, then its action URL) and, in some, the customer
changing the same subscriptions on the merchant's website meanwhile.

A single is one action alone, on a subscription in the state where it applies. A meeting is
several agents' actions of different kinds (or of one kind, by two agents) on the same
subscriptions, the same shared order or the same item, forms opened on the same state and
submitted at once, and perhaps one change by the customer, sent straight at Ordergroove's API
with the merchant's key a moment later, as the merchant's website would. Some scenes put a fault
of their own on Ordergroove right before the submissions (a discount's answer lost after it was
created), so that what they test happens in every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final, Protocol

import httpx

from bench.stack import OG_API_KEY, Stack, seed_linked_customer
from gateway import card
from services.actions_service.domain import Action
from services.ordergroove_sandbox.demo import (
    DEMO_CUSTOMER_ID,
    DEMO_NEXT_ORDER_IDS,
    DEMO_SUBSCRIPTION_IDS,
    Role,
)

TODAY: Final = date.today()
FIRST_ORDER: Final = TODAY + timedelta(days=7)  # every seeded next order's date
FORM_TRIES = 3  # an agent presses the button again when the form does not open
DOUBLE_CLICKS = 0.15  # the share of forms submitted twice at once (the same request)
RESUBMITS = 0.5  # the share of failed submissions submitted again (the same form)
RESUBMIT_WITHIN = 10.0  # seconds: before or after the settler's turn
CUSTOMER_WITHIN = 0.4  # seconds after the agents submit: when the customer's change goes
# The query the customer's writes carry, so that Ordergroove's journal tells them from the
# service's (Ordergroove's write endpoints take no query; the sandbox ignores one).
BY_CUSTOMER: Final = "by=customer"
DISCOUNT_WRITE: Final = "/one_time_incentives/create/"

Form = dict[str, Any]
Entered = Callable[[Form, "Sent"], dict[str, str]]


class Send(Protocol):
    """A request through a gateway, as Gladly sends it, counted; None when unanswered."""

    def __call__(
        self, method: str, path: str, body: Any = None, *, action: bool = False
    ) -> Awaitable[httpx.Response | None]: ...


def _nothing(form: Form, sent: Sent) -> dict[str, str]:
    return {}


def _first_reason(form: Form, sent: Sent) -> dict[str, str]:
    return {"reason": options(form, "reason")[0], "details": "chaos run"}


def _entering(**values: str) -> Entered:
    return lambda form, sent: dict(values)


def options(form: Form, attr: str) -> list[str]:
    """The values a select of the form offers (none when the form has no such select)."""
    for section in form["sections"]:
        if section.get("attr") == attr:
            return [option["value"] for option in section["input"].get("options", [])]
    return []


def choices(form: Form, attr: str) -> list[str]:
    """What a select offers but for what the subscription has now: the form's default, or the
    option marked "(current)" (the addresses)."""
    section: dict[str, Any] = next((s for s in form["sections"] if s.get("attr") == attr), {})
    shown = str(section.get("defaultValue", ""))
    return [
        option["value"]
        for option in section.get("input", {}).get("options", [])
        if option["value"] != shown and not option["text"].endswith("(current)")
    ]


def _choosing(attr: str, index: int) -> Entered:
    """The `index`th choice of the select `attr` that is not what the subscription has now:
    each agent of a scene picks another, and the customer yet another."""

    def entered(form: Form, sent: Sent) -> dict[str, str]:
        others = choices(form, attr)
        return {attr: others[index]} if index < len(others) else {}

    return entered


def _discount(target: str, kind: str, value: str) -> Entered:
    """A discount whose reason (its name at Ordergroove) names the agent: no two actions of a run
    issue one of the same name."""
    return lambda form, sent: {
        "target": target,
        "kind": kind,
        "value": value,
        "reason": f"chaos goodwill {sent.agent_id}",
    }


def in_days(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


@dataclass(frozen=True)
class Kind:
    """A button: its action, its URL segment, the Ordergroove write it makes (the path's
    collection and last segment) and what that path names: the subscription, the order the
    form showed, this subscription's item in it, or (a discount) the order or the item, as the
    agent chose."""

    action: Action
    segment: str
    write: str
    names: str = "subscription"  # "order", "item" or "discount"


KINDS: Final = {
    kind.action: kind
    for kind in (
        Kind(Action.CANCEL, card.CANCEL, "subscriptions/cancel"),
        Kind(Action.SKIP, card.SKIP, "orders/skip_subscription", "order"),
        Kind(Action.REACTIVATE, card.REACTIVATE, "subscriptions/reactivate"),
        Kind(
            Action.CHANGE_NEXT_ORDER_DATE,
            card.CHANGE_NEXT_ORDER_DATE,
            "subscriptions/change_next_order_date",
        ),
        Kind(Action.CHANGE_FREQUENCY, card.CHANGE_FREQUENCY, "subscriptions/change_frequency"),
        Kind(Action.CHANGE_QUANTITY, card.CHANGE_QUANTITY, "subscriptions/change_quantity"),
        Kind(Action.SEND_NOW, card.SEND_NOW, "orders/send_now", "order"),
        Kind(Action.CHANGE_RENEWAL, card.CHANGE_RENEWAL, "subscriptions/change_renewal_behavior"),
        Kind(Action.CANCEL_ORDER, card.CANCEL_ORDER, "orders/cancel", "order"),
        Kind(
            Action.CHANGE_ITEM_QUANTITY,
            card.CHANGE_ITEM_QUANTITY,
            "items/change_quantity",
            "item",
        ),
        Kind(Action.REMOVE_FROM_ORDER, card.REMOVE_FROM_ORDER, "items/delete", "item"),
        Kind(Action.ISSUE_DISCOUNT, card.ISSUE_DISCOUNT, "one_time_incentives/create", "discount"),
        Kind(Action.SWAP_PRODUCT, card.SWAP_PRODUCT, "subscriptions/change_product"),
        Kind(
            Action.CHANGE_SHIPPING_ADDRESS,
            card.CHANGE_SHIPPING_ADDRESS,
            "subscriptions/change_shipping",
        ),
    )
}
ACTION_OF_WRITE: Final = {kind.write: action for action, kind in KINDS.items()}


@dataclass(frozen=True)
class Part:
    """One agent's action in a scene: the button, on which of the scene's subscriptions, what
    the agent enters in the form, and whether the form is always submitted twice at once."""

    action: Action
    subscription: int = 0
    entered: Entered = _nothing
    double: bool = False

    @property
    def kind(self) -> Kind:
        return KINDS[self.action]


# The customer's change, from the scene as seeded and the agents' forms (None where none
# opened): its body, or None for no change.
Chosen = Callable[["Staged", Sequence[Form | None]], dict[str, Any] | None]


@dataclass(frozen=True)
class Move:
    """The customer's own change: one write straight at Ordergroove (`write` as `Kind.write`
    names it). A skip takes the subscription out of its next order as seeded; an item's write is
    on the subscription's item in it."""

    write: str
    subscription: int = 0
    body: dict[str, Any] | Chosen = field(default_factory=dict)


@dataclass(frozen=True)
class Scene:
    name: str
    seeds: tuple[dict[str, Any], ...]  # the subscriptions, as the sandbox's seeding takes them
    parts: tuple[Part, ...]
    # What the customer may do meanwhile: one of these, at random (nothing, in some).
    moves: tuple[tuple[Move, ...], ...] = ((),)
    shared_order: bool = False  # the live subscriptions ship in one next order
    # Ordergroove fault rules (as `/_sandbox/faults` takes them) put on right before the
    # submissions.
    faults: tuple[dict[str, Any], ...] = ()
    # Instead of seeding a customer, the sandbox's demo customer's subscriptions: the only
    # customer with more than one live address (the seeding gives each one, and nothing adds
    # another). Such a scene is played once a run, each on subscriptions no other scene touches.
    demo: tuple[Role, ...] = ()


def _customer_choice(attr: str, write_field: str, index: int) -> Chosen:
    """The customer's pick among the choices the agents' forms offered: the `index`th that is
    not the subscription's now (the agents take the first ones)."""

    def chosen(staged: Staged, forms: Sequence[Form | None]) -> dict[str, Any] | None:
        form = next((f for f in forms if f is not None), None)
        others = choices(form, attr) if form is not None else []
        return {write_field: others[index]} if index < len(others) else None

    return chosen


LIVE: Final[dict[str, Any]] = {}
SINGLES: Final = (
    Scene("cancel", (LIVE,), (Part(Action.CANCEL, entered=_first_reason),)),
    Scene("skip", (LIVE,), (Part(Action.SKIP),)),
    Scene("reactivate", ({"cancelled": True},), (Part(Action.REACTIVATE),)),
    Scene(
        "change_date",
        (LIVE,),
        (Part(Action.CHANGE_NEXT_ORDER_DATE, entered=_entering(orderDate=in_days(20))),),
    ),
    Scene(
        "change_frequency",
        (LIVE,),
        (Part(Action.CHANGE_FREQUENCY, entered=_entering(every="2", period="week")),),
    ),
    Scene(
        "change_quantity", (LIVE,), (Part(Action.CHANGE_QUANTITY, entered=_entering(quantity="3")),)
    ),
    Scene("send_now", (LIVE,), (Part(Action.SEND_NOW),)),
    Scene(
        "change_renewal",
        ({"prepaid": True},),
        (Part(Action.CHANGE_RENEWAL, entered=_entering(renewal="cancel")),),
    ),
    Scene("cancel_order", (LIVE,), (Part(Action.CANCEL_ORDER),)),
    Scene(
        "change_item_quantity",
        (LIVE,),
        (Part(Action.CHANGE_ITEM_QUANTITY, entered=_entering(quantity="3")),),
    ),
    # Offered only when the order holds other items: taking out the only one is a skip.
    Scene("remove_from_order", (LIVE, LIVE), (Part(Action.REMOVE_FROM_ORDER),), shared_order=True),
    Scene(
        "issue_discount",
        (LIVE,),
        (Part(Action.ISSUE_DISCOUNT, entered=_discount("order", "amount", "5")),),
    ),
    Scene("swap_product", (LIVE,), (Part(Action.SWAP_PRODUCT, entered=_choosing("product", 0)),)),
)
# Once a run each, on the demo customer (Home and Work are its live addresses: there is no
# third for the customer to choose, so the customer changes the quantity instead).
ONCE: Final = (
    Scene(
        "change_shipping_address (demo customer)",
        (),
        (Part(Action.CHANGE_SHIPPING_ADDRESS, entered=_choosing("address", 0)),),
        demo=(Role.SHAMPOO,),
    ),
    Scene(
        "change address + change quantity (demo customer)",
        (),
        (
            Part(Action.CHANGE_SHIPPING_ADDRESS, entered=_choosing("address", 0)),
            Part(Action.CHANGE_QUANTITY, entered=_entering(quantity="2")),
        ),
        moves=((Move("subscriptions/change_quantity", body={"quantity": 5}),),),
        demo=(Role.DOG_FOOD,),
    ),
)
# What the sandbox does to a discount write in the meeting of discounts: its answer is lost
# after the discount was created (the service must find it, never issue a second one).
LOST_DISCOUNT_ANSWER: Final = {
    "method": "POST",
    "path": DISCOUNT_WRITE,
    "status": 502,
    "after": True,
    "times": 1,
}
# In a meeting, no two writes set the same value (nor does the customer set an agent's or the
# seeded one): the journal's bodies tell whose write applied, and Ordergroove's state whose
# write it holds.
MEETINGS: Final = (
    Scene(
        "two quantity changes",
        (LIVE,),
        (
            Part(Action.CHANGE_QUANTITY, entered=_entering(quantity="2")),
            Part(Action.CHANGE_QUANTITY, entered=_entering(quantity="3")),
        ),
        moves=((), (Move("subscriptions/change_quantity", body={"quantity": 5}),)),
    ),
    Scene(
        "skip + change date",
        (LIVE,),
        (
            Part(Action.SKIP),
            Part(Action.CHANGE_NEXT_ORDER_DATE, entered=_entering(orderDate=in_days(20))),
        ),
        moves=(
            (),
            (Move("subscriptions/change_next_order_date", body={"order_date": in_days(30)}),),
        ),
    ),
    Scene(
        "cancel + send now",
        (LIVE,),
        (Part(Action.CANCEL, entered=_first_reason), Part(Action.SEND_NOW)),
        moves=(
            (),
            (Move("subscriptions/change_quantity", body={"quantity": 4}),),
            (Move("subscriptions/change_next_order_date", body={"order_date": in_days(30)}),),
        ),
    ),
    Scene(
        # The order ships three subscriptions: one agent sends it now, another skips one of
        # them out of it, a third changes the quantity of the last.
        "send now on a shared order",
        (LIVE, LIVE, LIVE),
        (
            Part(Action.SEND_NOW, 0),
            Part(Action.SKIP, 1),
            Part(Action.CHANGE_QUANTITY, 2, _entering(quantity="2")),
        ),
        moves=(
            (),
            (Move("orders/skip_subscription", 2),),
            (Move("subscriptions/change_next_order_date", 0, {"order_date": in_days(30)}),),
        ),
        shared_order=True,
    ),
    Scene(
        "skip + change frequency",
        (LIVE,),
        (
            Part(Action.SKIP),
            Part(Action.CHANGE_FREQUENCY, entered=_entering(every="2", period="week")),
        ),
        moves=((), (Move("subscriptions/change_frequency", body={"every": 3, "every_period": 2}),)),
    ),
    Scene(
        # One agent cancels the whole order, another sends it now, a third skips the last
        # subscription out of it.
        "cancel this order + send now + skip on a shared order",
        (LIVE, LIVE, LIVE),
        (Part(Action.CANCEL_ORDER, 0), Part(Action.SEND_NOW, 1), Part(Action.SKIP, 2)),
        moves=(
            (),
            (Move("subscriptions/change_quantity", 1, {"quantity": 4}),),
            (Move("subscriptions/change_next_order_date", 0, {"order_date": in_days(30)}),),
        ),
        shared_order=True,
    ),
    Scene(
        # The same item: one agent takes it out of the order, another changes its quantity in
        # it; the customer changes the subscription's quantity (the item's follows) or the
        # item's own.
        "remove from order + item quantity on one item",
        (LIVE, LIVE),
        (
            Part(Action.REMOVE_FROM_ORDER, 0),
            Part(Action.CHANGE_ITEM_QUANTITY, 0, _entering(quantity="2")),
        ),
        moves=(
            (),
            (Move("subscriptions/change_quantity", 0, {"quantity": 5}),),
            (Move("items/change_quantity", 0, {"quantity": 4}),),
        ),
        shared_order=True,
    ),
    Scene(
        # Two agents swap to different products; the customer swaps to a third.
        "two swaps + the customer's",
        (LIVE,),
        (
            Part(Action.SWAP_PRODUCT, entered=_choosing("product", 0)),
            Part(Action.SWAP_PRODUCT, entered=_choosing("product", 1)),
        ),
        moves=(
            (),
            (Move("subscriptions/change_product", body=_customer_choice("product", "product", 2)),),
        ),
    ),
    Scene(
        # The same discount submitted twice at once (one request), its answer lost after it was
        # created; another agent discounts the item meanwhile.
        "discounts: a double click with its answer lost",
        (LIVE,),
        (
            Part(Action.ISSUE_DISCOUNT, entered=_discount("order", "amount", "5"), double=True),
            Part(Action.ISSUE_DISCOUNT, entered=_discount("item", "percent", "10")),
        ),
        moves=((), (Move("subscriptions/change_quantity", body={"quantity": 4}),)),
        faults=(LOST_DISCOUNT_ANSWER,),
    ),
)


def programme() -> Iterator[Scene]:
    """Singles and meetings, interleaved, for ever: every kind of action alone, every meeting;
    the demo customer's scenes once, early."""
    meetings, once = itertools.cycle(MEETINGS), iter(ONCE)
    for i, single in enumerate(itertools.cycle(SINGLES)):
        yield single
        if i % 2 == 0:
            yield next(meetings)
        elif (demo := next(once, None)) is not None:
            yield demo


# --- a scene as it is played -------------------------------------------------------------------


@dataclass
class Sent:
    """One agent's action as it went: what was submitted and answered."""

    kind: Kind
    agent_id: str  # unique in the run: the action record names it
    subscription_id: str
    target_id: str = ""  # what the write names (the subscription, the form's order, the item)
    body: dict[str, Any] = field(default_factory=dict)  # as submitted
    order_id: str = ""  # the order the form showed, when its URL names one
    form_failed: bool = False
    sent: bool = False
    double_clicked: bool = False
    resubmitted: bool = False
    answer: int | None = None  # the gateway's last status (None: no answer)


@dataclass
class Staged:
    """A scene seeded: its customer, subscriptions and next orders, its agents' actions and the
    customer's changes picked for it; and what Ordergroove holds of it as seeded, read the way
    the merchant's website reads it (not journaled): each subscription's item in its next order,
    and the rows of its subscriptions, orders, items and the customer's addresses."""

    scene: Scene
    customer_id: str
    subscription_ids: list[str]
    order_ids: list[str]  # each subscription's next order as seeded ("" for none)
    sents: list[Sent]
    moves: tuple[Move, ...]
    gladly_id: str = ""  # the Gladly customer linked to it: gladly-<customer> unless told
    items: list[str] = field(default_factory=list)  # each one's item in its next order ("")
    # As seeded: subscriptions, orders and addresses by id, and the items of each next order.
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    addresses: list[str] = field(default_factory=list)  # the customer's live ones, as listed

    def __post_init__(self) -> None:
        self.gladly_id = self.gladly_id or f"gladly-{self.customer_id}"

    @property
    def meeting(self) -> bool:
        return len(self.sents) > 1 or bool(self.moves)

    def item_of(self, subscription_id: str) -> str:
        return self.items[self.subscription_ids.index(subscription_id)] if self.items else ""


async def seed(stack: Stack, scenes: list[Scene]) -> list[Staged]:
    """Each scene's customer, linked to a Gladly customer with an open conversation (a demo
    scene's: the demo customer, linked to a Gladly customer of the scene's own)."""
    agents = itertools.count(1)
    async with httpx.AsyncClient() as http:

        async def one(n: int, scene: Scene) -> Staged:
            if scene.demo:
                customer, gladly_id = DEMO_CUSTOMER_ID, f"gladly-chaos-{n}"
                await link(http, stack, gladly_id, customer)
                ids = [DEMO_SUBSCRIPTION_IDS[role] for role in scene.demo]
                order_ids = [DEMO_NEXT_ORDER_IDS.get(role, "") for role in scene.demo]
            else:
                customer, gladly_id = f"chaos-{n}", ""
                ids, order_ids = await seed_customer(http, stack, customer, scene)
            sents = [
                Sent(part.kind, f"agent-{next(agents)}", ids[part.subscription])
                for part in scene.parts
            ]
            moves = random.choice(scene.moves)
            staged = Staged(scene, customer, ids, order_ids, sents, moves, gladly_id)
            await _read_seeded(http, stack.ordergroove_url, staged)
            return staged

        return [await one(n, scene) for n, scene in enumerate(scenes)]


async def seed_customer(
    http: httpx.AsyncClient, stack: Stack, customer: str, scene: Scene
) -> tuple[list[str], list[str]]:
    """The scene's customer as its seeds say; its subscriptions and each one's next order."""
    subscriptions = [{"next_order_place": FIRST_ORDER.isoformat()} | seed for seed in scene.seeds]
    seeded = {"subscriptions": subscriptions, "next_orders": 1 if scene.shared_order else 0}
    created = await seed_linked_customer(http, stack, customer, seeded)
    ids, orders = created["subscriptions"], created["orders"]
    live = [i for i, s in enumerate(scene.seeds) if not s.get("cancelled")]
    order_ids = [""] * len(ids)
    for position, i in enumerate(live):
        order_ids[i] = orders[0 if scene.shared_order else position]
    return ids, order_ids


async def link(http: httpx.AsyncClient, stack: Stack, gladly_id: str, customer: str) -> None:
    """A Gladly customer of its own, with an open conversation, linked to `customer`."""
    linked = await http.post(
        f"{stack.gladly_url}/_sandbox/customers",
        json={"id": gladly_id, "externalCustomerId": customer, "conversation": "OPEN"},
    )
    linked.raise_for_status()


async def _read_seeded(http: httpx.AsyncClient, url: str, staged: Staged) -> None:
    """What the scene starts from, read as the merchant's website reads it
    (`/_sandbox/as-customer/...`: no journal entry, no fault)."""

    async def rows(path: str, **query: str) -> list[dict[str, Any]]:
        found = await http.get(f"{url}/_sandbox/as-customer/{path}", params=query)
        found.raise_for_status()
        results: list[dict[str, Any]] = found.json()["results"]
        return results

    customer = staged.customer_id
    for row in await rows("subscriptions/", customer=customer, page_size="100"):
        if row["public_id"] in staged.subscription_ids:
            staged.rows[row["public_id"]] = row
    for order_id in dict.fromkeys(o for o in staged.order_ids if o):
        order = await http.get(f"{url}/_sandbox/as-customer/orders/{order_id}/")
        staged.rows[order_id] = order.raise_for_status().json()
        staged.lines[order_id] = await rows("items/", order=order_id)
    for sid, order_id in zip(staged.subscription_ids, staged.order_ids, strict=True):
        held = [i for i in staged.lines.get(order_id, []) if i["subscription"] == sid]
        staged.items.append(str(held[0]["public_id"]) if held else "")
    for row in await rows("addresses/", customer=customer, live="True"):
        staged.addresses.append(str(row["public_id"]))
        staged.rows[str(row["public_id"])] = row


async def play(send: Send, ordergroove: httpx.AsyncClient, staged: Staged) -> None:
    """Every agent opens the form; then all submit at once (after the scene's own faults are put
    on), and the customer makes the change picked for the scene a moment later."""
    parts = staged.scene.parts
    forms = await asyncio.gather(*(open_form(send, staged, sent) for sent in staged.sents))
    for rule in staged.scene.faults:
        await ordergroove.post("/_sandbox/faults", json=rule)
    await asyncio.gather(
        *(
            submit(send, staged, sent, part, form)
            for sent, part, form in zip(staged.sents, parts, forms, strict=True)
            if form is not None
        ),
        *(as_the_customer(ordergroove, staged, move, forms) for move in staged.moves),
    )


async def open_form(send: Send, staged: Staged, sent: Sent) -> Form | None:
    ref = card.SubscriptionRef(staged.gladly_id, staged.customer_id, sent.subscription_id)
    for _ in range(FORM_TRIES):
        shown = await send("GET", card.form_url(ref, sent.kind.segment))
        if shown is not None and shown.status_code == 200:
            form: Form = shown.json()
            return form
        await asyncio.sleep(0.5)
    sent.form_failed = True
    return None


async def submit(send: Send, staged: Staged, sent: Sent, part: Part, form: Form) -> None:
    """What Gladly does with a filled-in form: its defaults and what the agent entered, to its
    action URL (some twice at once, a double click); after a failed answer, some agents submit
    the same form again, before or after the settler had its turn."""
    defaults = {
        section["attr"]: section["defaultValue"]
        for section in form["sections"]
        if "attr" in section and "defaultValue" in section
    }
    sent.body = defaults | part.entered(form, sent) | {"agentId": sent.agent_id}
    sent.order_id = _order_named(form["actionUrl"])
    sent.target_id = _target(staged, sent)
    sent.sent = True

    def submission() -> Awaitable[httpx.Response | None]:
        return send("POST", form["actionUrl"], sent.body, action=True)

    if part.double or random.random() < DOUBLE_CLICKS:
        sent.double_clicked = True
        answered, _ = await asyncio.gather(submission(), submission())
    else:
        answered = await submission()
    if (answered is None or answered.status_code >= 500) and random.random() < RESUBMITS:
        await asyncio.sleep(random.uniform(0, RESUBMIT_WITHIN))
        sent.resubmitted = True
        answered = await submission()
    sent.answer = answered.status_code if answered is not None else None


def _order_named(action_url: str) -> str:
    """The order the action URL names ("" when it names none)."""
    segments = action_url.split("/")
    return segments[segments.index("orders") + 1] if "orders" in segments else ""


def _target(staged: Staged, sent: Sent) -> str:
    """What the write's path (a discount: its body) names: the form's order, this
    subscription's item in it, or the subscription."""
    names = sent.kind.names
    if names == "discount":
        names = "item" if sent.body.get("target") == "item" else "order"
    if names == "order":
        return sent.order_id
    if names == "item":
        return staged.item_of(sent.subscription_id)
    return sent.subscription_id


async def as_the_customer(
    ordergroove: httpx.AsyncClient, staged: Staged, move: Move, forms: Sequence[Form | None]
) -> None:
    """The customer's change on the merchant's website, straight at Ordergroove with the
    merchant's key, once (whatever it is answered: the journal says what applied)."""
    await asyncio.sleep(random.uniform(0, CUSTOMER_WITHIN))
    body = move.body(staged, forms) if callable(move.body) else move.body
    if body is None:
        return
    subscription_id = staged.subscription_ids[move.subscription]
    collection, segment = move.write.split("/")
    method = "DELETE" if move.write == "items/delete" else "PATCH"
    if move.write == "orders/skip_subscription":
        path = f"/orders/{staged.order_ids[move.subscription]}/{segment}/"
        body = {"subscription": subscription_id}
    elif collection == "items":
        path = f"/items/{staged.items[move.subscription]}/{segment}/"
    else:
        path = f"/{collection}/{subscription_id}/{segment}/"
    # Hung or refused: whatever the answer, the journal tells whether it applied.
    with contextlib.suppress(httpx.HTTPError):
        await ordergroove.request(
            method,
            f"{path}?{BY_CUSTOMER}",
            json=body if method != "DELETE" else None,
            headers={"x-api-key": OG_API_KEY},
        )
