"""How the agent console shows the gateway's JSON: friendly labels for the keys it knows, plain
words for the ones it does not, and the form's sections read into fields. Pure functions: every
value shown comes from the answer given, none is made up."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

Json = dict[str, Any]

# Keys the card's header shows (or that are not facts); every other key becomes a fact row.
HEADER_KEYS: Final = frozenset({"type", "actions", "status", "productName", "productImageUrl"})
# Friendly labels, in the order the facts are listed; keys not named here follow, in the order
# the gateway sent them, labelled from their names.
LABELS: Final[Mapping[str, str]] = {
    "subscriptionId": "Subscription",
    "productSku": "SKU",
    "productId": "Product id",
    "frequency": "Frequency",
    "price": "Price",
    "quantity": "Quantity",
    "prepaid": "Prepaid",
    "nextOrderDate": "Next order",
    "nextOrderId": "Next order id",
    "shipsTo": "Ships to",
    "cancelledAt": "Cancelled",
    "cancellationReason": "Cancellation reason",
    "cancellationDetails": "Cancellation details",
    "createdAt": "Created",
    "updatedAt": "Updated",
    "activeSubscriptions": "Active subscriptions",
    "totalSubscriptions": "Subscriptions in all",
}
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?Z$")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class Fact:
    key: str
    label: str
    text: str
    datetime: str = ""  # the machine-readable value for <time>, when the value is a timestamp


def label_of(key: str) -> str:
    """The friendly label, else the key in words ("nextOrderId" → "Next order id")."""
    if key in LABELS:
        return LABELS[key]
    words = _WORD_BREAK.sub(" ", key).replace("_", " ").lower().strip()
    return words[:1].upper() + words[1:]


def fact(key: str, value: Any, record: Json) -> Fact:
    if key == "price" and isinstance(record.get("currency"), str):
        return Fact(key, label_of(key), f"{_text(value)} {record['currency']}")
    if isinstance(value, str) and (stamp := _TIMESTAMP.match(value)):
        return Fact(key, label_of(key), f"{stamp.group(1)} {stamp.group(2)} UTC", value)
    if isinstance(value, str) and _DATE.fullmatch(value):
        return Fact(key, label_of(key), value, value)
    if value in ("true", "false", True, False):
        return Fact(key, label_of(key), "Yes" if value in ("true", True) else "No")
    return Fact(key, label_of(key), _text(value))


def facts(record: Json, skip: frozenset[str] = HEADER_KEYS) -> list[Fact]:
    """Every key of `record` but the skipped ones, the known first; a price carries its currency."""
    keys = [k for k in record if k not in skip and record[k] not in (None, "", [], {})]
    if "price" in keys and "currency" in keys:
        keys.remove("currency")
    order = {key: index for index, key in enumerate(LABELS)}
    keys.sort(key=lambda k: order.get(k, len(order)))  # stable: the unknown keep their order
    return [fact(k, record[k], record) for k in keys]


def contacts(values: Any) -> str:
    """Gladly's `[{"original": …}]` e-mail and phone lists, as one line."""
    if not isinstance(values, list):
        return _text(values)
    return ", ".join(_text(v.get("original", v) if isinstance(v, dict) else v) for v in values)


def actions(record: Json) -> list[Json]:
    """The buttons the gateway offers: only those with a name and a form URL."""
    found = record.get("actions")
    if not isinstance(found, list):
        return []
    return [
        a
        for a in found
        if isinstance(a, dict)
        and isinstance(a.get("name"), str)
        and isinstance(a.get("formUrl"), str)
    ]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


# --- forms -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    text: str


@dataclass(frozen=True)
class Field:
    attr: str
    label: str
    kind: str  # text, select or checkbox; an unknown input type is shown as text
    hint: str = ""
    placeholder: str = ""
    optional: bool = False
    default: Any = None
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Section:
    text: str = ""  # a text section
    field: Field | None = None  # an input section


@dataclass(frozen=True)
class Form:
    title: str
    submit_button: str
    close_button: str
    action_url: str
    sections: tuple[Section, ...] = ()

    @property
    def fields(self) -> list[Field]:
        return [s.field for s in self.sections if s.field is not None]


@dataclass
class FormErrors:
    """A 400's errors: those naming a field beside it, the others above the form."""

    by_attr: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)


class BadForm(ValueError):
    """The gateway's form is not one the console can show."""


def read_form(data: Any) -> Form:
    if not isinstance(data, dict) or not isinstance(data.get("actionUrl"), str):
        raise BadForm("the form has no actionUrl")
    sections = data.get("sections", [])
    if not isinstance(sections, list):
        raise BadForm("the form's sections are not a list")
    return Form(
        title=_text(data.get("title", "")),
        submit_button=_text(data.get("submitButton", "")),
        close_button=_text(data.get("closeButton", "")),
        action_url=data["actionUrl"],
        sections=tuple(_section(s) for s in sections if isinstance(s, dict)),
    )


def _section(data: Json) -> Section:
    if data.get("type") != "input":
        return Section(text=_text(data.get("text", "")))
    field_input = data.get("input") if isinstance(data.get("input"), dict) else {}
    assert isinstance(field_input, dict)
    kind = field_input.get("type")
    options = field_input.get("options", [])
    return Section(
        field=Field(
            attr=_text(data.get("attr", "")),
            label=_text(data.get("label", data.get("attr", ""))),
            kind=kind if kind in ("text", "select", "checkbox") else "text",
            hint=_text(data.get("hint", "")),
            placeholder=_text(field_input.get("placeholder", "")),
            optional=field_input.get("optional") is True,
            default=data.get("defaultValue"),
            options=tuple(
                Option(_text(o.get("value", "")), _text(o.get("text", o.get("value", ""))))
                for o in (options if isinstance(options, list) else [])
                if isinstance(o, dict)
            ),
        )
    )


def submission(form: Form, posted: Mapping[str, str]) -> Json:
    """The JSON body Gladly sends: every field's attr, a checkbox as true/false."""
    body: Json = {}
    for item in form.fields:
        if item.kind == "checkbox":
            body[item.attr] = item.attr in posted
        else:
            body[item.attr] = posted.get(item.attr, "")
    return body


def initial_values(form: Form) -> dict[str, Any]:
    """What the fields show when the form opens: their defaultValue, if any."""
    return {f.attr: f.default for f in form.fields if f.default is not None}


def form_errors(errors: list[Json], attrs: set[str]) -> FormErrors:
    found = FormErrors()
    for error in errors:
        text = ": ".join(
            _text(error[k]) for k in ("message", "detail") if error.get(k) not in (None, "")
        ) or _text(error.get("code", "Refused"))
        attr = error.get("attr")
        if isinstance(attr, str) and attr in attrs:
            found.by_attr.setdefault(attr, []).append(text)
        else:
            found.general.append(text)
    return found
