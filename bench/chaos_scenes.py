"""Who acts in `make chaos`: scenes, each an Ordergroove customer of its own with the agents'
actions on it (as Gladly sends them: the form, then its action URL) and, in some, the customer
changing the same subscriptions on the merchant's website meanwhile.

A single is one action alone, on a subscription in the state where it applies. A meeting is
several agents' actions of different kinds (or of one kind, by two agents) on the same
subscriptions or the same shared order, forms opened on the same state and submitted at once, and
perhaps one change by the customer, sent straight at Ordergroove's API with the merchant's key
a moment later, as the merchant's website would.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final, Protocol

import httpx

from bench.stack import OG_API_KEY, Stack, seed_linked_customer
from gateway import card
from services.actions_service.domain import Action

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

Entered = Callable[[dict[str, Any]], dict[str, str]]


class Send(Protocol):
    """A request through a gateway, as Gladly sends it, counted; None when unanswered."""

    def __call__(
        self, method: str, path: str, body: Any = None, *, action: bool = False
    ) -> Awaitable[httpx.Response | None]: ...


def _nothing(form: dict[str, Any]) -> dict[str, str]:
    return {}


def _first_reason(form: dict[str, Any]) -> dict[str, str]:
    [options] = [s["input"]["options"] for s in form["sections"] if s.get("attr") == "reason"]
    return {"reason": options[0]["value"], "details": "chaos run"}


def _entering(**values: str) -> Entered:
    return lambda form: dict(values)


def in_days(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


@dataclass(frozen=True)
class Kind:
    """A button: its action, its URL segment and the Ordergroove write it makes (the last
    segment of the PATCH path)."""

    action: Action
    segment: str
    write: str

    @property
    def on_order(self) -> bool:
        """Whether the write's path names the order (the one the form showed)."""
        return self.write in ("skip_subscription", "send_now")


KINDS: Final = {
    kind.action: kind
    for kind in (
        Kind(Action.CANCEL, card.CANCEL, "cancel"),
        Kind(Action.SKIP, card.SKIP, "skip_subscription"),
        Kind(Action.REACTIVATE, card.REACTIVATE, "reactivate"),
        Kind(Action.CHANGE_NEXT_ORDER_DATE, card.CHANGE_NEXT_ORDER_DATE, "change_next_order_date"),
        Kind(Action.CHANGE_FREQUENCY, card.CHANGE_FREQUENCY, "change_frequency"),
        Kind(Action.CHANGE_QUANTITY, card.CHANGE_QUANTITY, "change_quantity"),
        Kind(Action.SEND_NOW, card.SEND_NOW, "send_now"),
        Kind(Action.CHANGE_RENEWAL, card.CHANGE_RENEWAL, "change_renewal_behavior"),
    )
}
ACTION_OF_WRITE: Final = {kind.write: action for action, kind in KINDS.items()}


@dataclass(frozen=True)
class Part:
    """One agent's action in a scene: the button, on which of the scene's subscriptions, and
    what the agent enters in the form."""

    action: Action
    subscription: int = 0
    entered: Entered = _nothing

    @property
    def kind(self) -> Kind:
        return KINDS[self.action]


@dataclass(frozen=True)
class Move:
    """The customer's own change: one write straight at Ordergroove. A skip takes the
    subscription out of its next order as seeded."""

    write: str
    subscription: int = 0
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scene:
    name: str
    seeds: tuple[dict[str, Any], ...]  # the subscriptions, as the sandbox's seeding takes them
    parts: tuple[Part, ...]
    # What the customer may do meanwhile: one of these, at random (nothing, in some).
    moves: tuple[tuple[Move, ...], ...] = ((),)
    shared_order: bool = False  # the live subscriptions ship in one next order


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
)
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
        moves=((), (Move("change_quantity", body={"quantity": 5}),)),
    ),
    Scene(
        "skip + change date",
        (LIVE,),
        (
            Part(Action.SKIP),
            Part(Action.CHANGE_NEXT_ORDER_DATE, entered=_entering(orderDate=in_days(20))),
        ),
        moves=((), (Move("change_next_order_date", body={"order_date": in_days(30)}),)),
    ),
    Scene(
        "cancel + send now",
        (LIVE,),
        (Part(Action.CANCEL, entered=_first_reason), Part(Action.SEND_NOW)),
        moves=(
            (),
            (Move("change_quantity", body={"quantity": 4}),),
            (Move("change_next_order_date", body={"order_date": in_days(30)}),),
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
            (Move("skip_subscription", 2),),
            (Move("change_next_order_date", 0, {"order_date": in_days(30)}),),
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
        moves=((), (Move("change_frequency", body={"every": 3, "every_period": 2}),)),
    ),
)


def programme() -> Iterator[Scene]:
    """Singles and meetings, interleaved, for ever: every kind of action alone, every meeting."""
    meetings = itertools.cycle(MEETINGS)
    for i, single in enumerate(itertools.cycle(SINGLES)):
        yield single
        if i % 2 == 0:
            yield next(meetings)


# --- a scene as it is played -------------------------------------------------------------------


@dataclass
class Sent:
    """One agent's action as it went: what was submitted and answered."""

    kind: Kind
    agent_id: str  # unique in the run: the action record names it
    subscription_id: str
    target_id: str = ""  # what the write's path names (the form's order, or the subscription)
    body: dict[str, Any] = field(default_factory=dict)  # as submitted
    form_failed: bool = False
    sent: bool = False
    double_clicked: bool = False
    resubmitted: bool = False
    answer: int | None = None  # the gateway's last status (None: no answer)


@dataclass
class Staged:
    """A scene seeded: its customer, subscriptions and next orders, its agents' actions and the
    customer's changes picked for it."""

    scene: Scene
    customer_id: str
    subscription_ids: list[str]
    order_ids: list[str]  # each subscription's next order as seeded ("" for none)
    sents: list[Sent]
    moves: tuple[Move, ...]

    @property
    def gladly_id(self) -> str:
        return f"gladly-{self.customer_id}"

    @property
    def meeting(self) -> bool:
        return len(self.sents) > 1 or bool(self.moves)


async def seed(stack: Stack, scenes: list[Scene]) -> list[Staged]:
    """Each scene's customer, linked to a Gladly customer with an open conversation."""
    agents = itertools.count(1)
    async with httpx.AsyncClient() as http:

        async def one(n: int, scene: Scene) -> Staged:
            customer = f"chaos-{n}"
            subscriptions = [
                {"next_order_place": FIRST_ORDER.isoformat()} | seed for seed in scene.seeds
            ]
            seeded = {"subscriptions": subscriptions, "next_orders": 1 if scene.shared_order else 0}
            created = await seed_linked_customer(http, stack, customer, seeded)
            ids, orders = created["subscriptions"], created["orders"]
            live = [i for i, s in enumerate(scene.seeds) if not s.get("cancelled")]
            order_ids = [""] * len(ids)
            for position, i in enumerate(live):
                order_ids[i] = orders[0 if scene.shared_order else position]
            sents = [
                Sent(part.kind, f"agent-{next(agents)}", ids[part.subscription])
                for part in scene.parts
            ]
            return Staged(scene, customer, ids, order_ids, sents, random.choice(scene.moves))

        return [await one(n, scene) for n, scene in enumerate(scenes)]


async def play(send: Send, ordergroove: httpx.AsyncClient, staged: Staged) -> None:
    """Every agent opens the form; then all submit at once, and the customer makes the change
    picked for the scene a moment later."""
    parts = staged.scene.parts
    forms = await asyncio.gather(*(open_form(send, staged, sent) for sent in staged.sents))
    await asyncio.gather(
        *(
            submit(send, sent, part, form)
            for sent, part, form in zip(staged.sents, parts, forms, strict=True)
            if form is not None
        ),
        *(as_the_customer(ordergroove, staged, move) for move in staged.moves),
    )


async def open_form(send: Send, staged: Staged, sent: Sent) -> dict[str, Any] | None:
    ref = card.SubscriptionRef(staged.gladly_id, staged.customer_id, sent.subscription_id)
    for _ in range(FORM_TRIES):
        shown = await send("GET", card.form_url(ref, sent.kind.segment))
        if shown is not None and shown.status_code == 200:
            form: dict[str, Any] = shown.json()
            return form
        await asyncio.sleep(0.5)
    sent.form_failed = True
    return None


async def submit(send: Send, sent: Sent, part: Part, form: dict[str, Any]) -> None:
    """What Gladly does with a filled-in form: its defaults and what the agent entered, to its
    action URL (some twice at once, a double click); after a failed answer, some agents submit
    the same form again, before or after the settler had its turn."""
    defaults = {
        section["attr"]: section["defaultValue"]
        for section in form["sections"]
        if "attr" in section and "defaultValue" in section
    }
    sent.body = defaults | part.entered(form) | {"agentId": sent.agent_id}
    sent.target_id = _order_named(form["actionUrl"]) if sent.kind.on_order else sent.subscription_id
    sent.sent = True

    def submission() -> Awaitable[httpx.Response | None]:
        return send("POST", form["actionUrl"], sent.body, action=True)

    if random.random() < DOUBLE_CLICKS:
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
    segments = action_url.split("/")
    return segments[segments.index("orders") + 1]


async def as_the_customer(ordergroove: httpx.AsyncClient, staged: Staged, move: Move) -> None:
    """The customer's change on the merchant's website, straight at Ordergroove with the
    merchant's key, once (whatever it is answered: the journal says what applied)."""
    await asyncio.sleep(random.uniform(0, CUSTOMER_WITHIN))
    subscription_id = staged.subscription_ids[move.subscription]
    if move.write == "skip_subscription":
        path = f"/orders/{staged.order_ids[move.subscription]}/skip_subscription/"
        body: dict[str, Any] = {"subscription": subscription_id}
    else:
        path, body = f"/subscriptions/{subscription_id}/{move.write}/", move.body
    # Hung or refused: whatever the answer, the journal tells whether it applied.
    with contextlib.suppress(httpx.HTTPError):
        await ordergroove.patch(
            f"{path}?{BY_CUSTOMER}", json=body, headers={"x-api-key": OG_API_KEY}
        )
