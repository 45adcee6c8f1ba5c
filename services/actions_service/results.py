"""The results of the actions, and their JSON form in the store (answered again to repeats)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from services.actions_service.domain import (
    Action,
    Order,
    OrderLine,
    Period,
    PrepaidPlan,
    Product,
    ShippingAddress,
    Subscription,
    SubscriptionView,
    TimelineEntry,
)
from services.actions_service.errors import ActionError, Reason

T = TypeVar("T")
Json = dict[str, Any]


@dataclass(frozen=True)
class ActionOutcome:
    """The result of an action: the subscription as Ordergroove now holds it."""

    view: SubscriptionView
    summary: str
    # The order the write targeted, as it was before (a skip's skipped order); None without one.
    target: Order | None = None


@dataclass(frozen=True)
class Finished(Generic[T]):
    """A completed action: its result, and what the store records with it."""

    result: T
    # The entry for the Gladly customer's timeline; None when there is no one to tell.
    timeline: tuple[str, TimelineEntry] | None  # (Gladly customer id, entry)
    ordergroove_status: int | None  # the write's HTTP status; None when nothing was sent
    # What changed, before → after, for the audit log (the timeline entry says the same).
    before_after: str = ""

    @property
    def reconciled(self) -> bool:
        """Settled by reading Ordergroove after a lost answer: an action that completes
        without sending its write found the write already applied."""
        return self.ordergroove_status is None


class Codec(Protocol[T]):
    def encode(self, result: T) -> Json: ...

    def decode(self, data: Json) -> T: ...


class ResultCodec:
    def encode(self, result: ActionOutcome) -> Json:
        return {
            # Stored under "card" since the first records: the key stays.
            "card": _view_json(result.view),
            "summary": result.summary,
            "target": _order_json(result.target),
        }

    def decode(self, data: Json) -> ActionOutcome:
        # Skips recorded before every action shared this shape named their target `skipped`.
        target = data.get("target", data.get("skipped"))
        return ActionOutcome(
            view=_view(data["card"]), summary=data["summary"], target=_order(target)
        )


def refusal_json(error: ActionError) -> Json:
    return {"reason": error.reason.value, "message": error.message, "metadata": error.metadata}


def refusal(data: Json) -> ActionError:
    return ActionError(Reason(data["reason"]), data["message"], **data["metadata"])


def settled_note(
    action: Action,
    subscription_id: str,
    order_id: str,
    agent_id: str,
    at: datetime,
    attempted: str = "",
    unconfirmed: str = "",
) -> tuple[str, str]:
    """Title and body of the timeline entry for an action settled in the background: the
    customer's agents learn that it was attempted and that it was not applied — or, with the
    evidence in `unconfirmed`, that whether it was cannot be told. `attempted` is a catalogue
    action's words for what it does ("change the frequency of")."""
    if action is Action.SKIP and order_id:
        what = f"skip order {order_id} of subscription {subscription_id}"
    else:
        what = f"{attempted or action.value.replace('_', ' ')} subscription {subscription_id}"
    by = f" by agent {agent_id}" if agent_id else ""
    verb = action.value.replace("_", " ").capitalize()
    settled = f"settled {at:%Y-%m-%d %H:%M} UTC"
    if unconfirmed:
        body = (
            f"An attempt{by} to {what} did not complete, and whether it was applied could not "
            f"be confirmed: {unconfirmed} ({settled}). It will not be retried; the "
            f"Subscriptions card shows the state now."
        )
        return f"{verb} unconfirmed: subscription {subscription_id}"[:100], body
    body = (
        f"An attempt{by} to {what} did not complete and was not applied ({settled}). Nothing "
        f"was changed; it will not be retried."
    )
    return f"{verb} not applied: subscription {subscription_id}"[:100], body


# --- the parts -----------------------------------------------------------------------------------


def _view_json(view: SubscriptionView) -> Json:
    sub = view.subscription
    return {
        "subscription": asdict(sub)
        | {
            "period": sub.period.value if sub.period else None,
            "created_at": _time_json(sub.created_at),
            "updated_at": _time_json(sub.updated_at),
            "cancelled_at": _time_json(sub.cancelled_at),
        },
        "product": asdict(view.product),
        "next_order": _order_json(view.next_order),
        "available_actions": [action.value for action in view.available_actions],
        "cancel_reason_text": view.cancel_reason_text,
        "next_order_lines": [line.to_json() for line in view.next_order_lines],
        "shipping_address": asdict(view.shipping_address) if view.shipping_address else None,
    }


def _view(data: Json) -> SubscriptionView:
    sub = dict(data["subscription"])
    # Records stored before the prepaid plan was kept say only `prepaid`: a plan without facts.
    was_prepaid = sub.pop("prepaid", False)
    plan = sub.get("prepaid_plan")
    return SubscriptionView(
        subscription=Subscription(
            **sub
            | {
                "prepaid_plan": PrepaidPlan(**plan)
                if plan
                else PrepaidPlan()
                if was_prepaid
                else None,
                "period": Period(sub["period"]) if sub["period"] is not None else None,
                "created_at": _time(sub["created_at"]),
                "updated_at": _time(sub["updated_at"]),
                "cancelled_at": _time(sub["cancelled_at"]),
            }
        ),
        product=Product(**data["product"]),
        next_order=_order(data["next_order"]),
        available_actions=tuple(Action(action) for action in data["available_actions"]),
        cancel_reason_text=data.get("cancel_reason_text", ""),
        # Results stored before the order's items and the address were kept have neither.
        next_order_lines=tuple(OrderLine.from_json(x) for x in data.get("next_order_lines", ())),
        shipping_address=ShippingAddress(**address)
        if (address := data.get("shipping_address"))
        else None,
    )


def _order_json(order: Order | None) -> Json | None:
    if order is None:
        return None
    return {
        "order_id": order.order_id,
        "status": order.status,
        "place_at": _time_json(order.place_at),
    }


def _order(data: Json | None) -> Order | None:
    if data is None:
        return None
    return Order(data["order_id"], data["status"], _time(data["place_at"]))


def _time_json(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None
