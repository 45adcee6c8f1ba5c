"""`gladly-sandbox`: serve the Gladly imitation, or act as Gladly towards the gateway.

Acting as Gladly means what Gladly does when an agent opens a profile or presses a card's button:
a signed lookup or a signed form fetch and submission. Requests are signed with the first of
GLADLY_SIGNING_KEYS (default `sandbox-signing-key`) and sent to GATEWAY_URL (default: the
gateway's own GATEWAY_LISTEN, http://127.0.0.1:8080); the defaults target `make run`'s demo
customer.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn

from common.config import GladlySandboxSettings
from common.runtime import listening_socket
from gateway.card import BUTTONS, CANCEL, SKIP, SubscriptionRef, form_url
from gateway.gladly_auth import GladlySignature
from services.gladly_sandbox import lookup_answer
from services.gladly_sandbox.app import create_app
from services.gladly_sandbox.config import ConfigError, serve_config
from services.gladly_sandbox.console import console_settings, signing_key
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID, DEMO_EMAIL, DEMO_EXTERNAL_CUSTOMER_ID

EXIT_BAD_CONFIG = 2
EXIT_REFUSED = 1
# Hung requests (a `hang` fault) must not hold a shutdown up for ever.
GRACEFUL_SHUTDOWN_SECONDS = 5
# Longer than the gateway's own deadline, so the gateway's answer is what gets reported.
REQUEST_TIMEOUT_SECONDS = 30.0

Command = Callable[[argparse.Namespace], int]
Json = dict[str, Any]


class Refused(Exception):
    """The gateway answered with an error; the message is what the agent would read."""


def serve(args: argparse.Namespace) -> int:
    """Serve the sandbox until SIGINT/SIGTERM; uvicorn finishes in-flight requests first."""
    settings = GladlySandboxSettings.from_env()
    config = serve_config(settings)
    app = create_app(
        api_user=config.api_user,
        api_token=config.api_token,
        rate_limit=settings.rate_limit,
        lookup_app_id=config.lookup_app_id,
        console=console_settings(settings),
    )
    sock = listening_socket("GLADLY_SANDBOX_LISTEN", settings.gladly_sandbox_listen)
    print(f"gladly-sandbox listening on http://{settings.gladly_sandbox_listen}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="info", timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
    )
    # uvicorn shuts down gracefully, then re-raises SIGINT; after Ctrl-C that is a normal stop.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    return 0


# --- acting as Gladly ----------------------------------------------------------------------------


def gateway_client() -> httpx.Client:
    """Signed with the first of GLADLY_SIGNING_KEYS, to GATEWAY_URL or else the gateway's own
    GATEWAY_LISTEN (`make run` on another port sets it for both)."""
    settings = GladlySandboxSettings.from_env()
    return httpx.Client(
        base_url=settings.gateway,
        auth=GladlySignature(signing_key(settings)),
        timeout=REQUEST_TIMEOUT_SECONDS,
    )


def send(client: httpx.Client, method: str, path: str, body: Json | None = None) -> Json:
    """The answer's JSON; raises Refused with the gateway's messages on an error answer."""
    response = client.request(method, path, json=body)
    try:
        answer: Json = response.json()
    except ValueError:
        raise Refused(f"HTTP {response.status_code}: {response.text[:200]}") from None
    if response.is_error:
        errors = answer.get("errors") or [{"message": response.reason_phrase}]
        lines = [f"{e.get('message', '')}: {e.get('detail', '')}".rstrip(": ") for e in errors]
        trace = errors[0].get("traceId")
        raise Refused(f"HTTP {response.status_code} " + "; ".join(lines) + f" (trace {trace})")
    return answer


def lookup(args: argparse.Namespace) -> int:
    results = _lookup("BASIC", {"emails": args.email or [DEMO_EMAIL]})
    print(f"{len(results)} match(es)")
    for result in results:
        print(f"  {_customer_line(result)}")
    return 0


def card(args: argparse.Namespace) -> int:
    results = _lookup("DETAILED", {"externalCustomerId": args.customer, "id": args.gladly_customer})
    if not results:
        print(f"No Ordergroove customer {args.customer}.")
        return 0
    [result] = results
    print(_customer_line(result))
    print(f"Subscriptions ({len(result.get('transactions', []))})")
    for transaction in result.get("transactions", []):
        print()
        print("\n".join(_subscription_lines(transaction)))
    return 0


def _lookup(level: str, query: Json) -> list[Json]:
    """The lookup's results, refused as Gladly refuses an answer not shaped as it documents."""
    body = {"lookupLevel": level, "query": query, "uniqueMatchRequired": level == "DETAILED"}
    with gateway_client() as client:
        answer = send(client, "POST", "/gladly/lookup", body)
    if refused := lookup_answer.refusal(answer, level):
        raise Refused(refused)
    results: list[Json] = answer["results"]
    return results


def skip(args: argparse.Namespace) -> int:
    return _run_form(form_url(_subscription_ref(args), SKIP), {})


def cancel(args: argparse.Namespace) -> int:
    submission = {"reason": args.reason, "details": args.details}
    return _run_form(form_url(_subscription_ref(args), CANCEL), submission)


def press(args: argparse.Namespace) -> int:
    """Any button of the card, by its name in Gladly, with the form's values as ATTR=VALUE."""
    segments = {name.lower(): segment for _, name, segment in BUTTONS}
    segment = segments.get(args.button.lower())
    if segment is None:
        raise Refused(
            f"no button {args.button!r}; the buttons: {', '.join(n for _, n, _ in BUTTONS)}"
        )
    values: Json = {}
    for pair in args.values:
        attr, equals, value = pair.partition("=")
        if not equals:
            raise Refused(f"{pair!r}: expected ATTR=VALUE")
        values[attr] = value
    url = form_url(_subscription_ref(args), segment)
    if args.search is not None:  # the form offers only what matches (Swap Product's products)
        url += f"?{urlencode({'search': args.search})}"
    return _run_form(url, values)


def _subscription_ref(args: argparse.Namespace) -> SubscriptionRef:
    """The subscription as the card's button names it: the Gladly customer, the Ordergroove
    customer it is linked to, the subscription."""
    return SubscriptionRef(args.gladly_customer, args.customer, args.subscription)


def _run_form(form_url: str, submission: Json) -> int:
    """What Gladly does for a button: fetch the form, show it, submit it, show the answer."""
    with gateway_client() as client:
        form = send(client, "GET", form_url)
        print("\n".join(_form_lines(form)))
        # As Gladly, the form's default values are sent unless the agent changed them.
        defaults = {
            section["attr"]: section["defaultValue"]
            for section in form.get("sections", [])
            if "attr" in section and "defaultValue" in section
        }
        answer = send(client, "POST", form["actionUrl"], defaults | submission)
    print(f"\n{answer['message']}: {answer['detail']}")
    return 0


def _customer_line(result: Json) -> str:
    emails = ", ".join(e["original"] for e in result.get("emails", []))
    phones = ", ".join(p["original"] for p in result.get("phones", []))
    counts = result.get("customAttributes", {})
    return (
        f"{result.get('name', '(no name)')} [{result['externalCustomerId']}] {emails} {phones}"
        f" - {counts.get('activeSubscriptions', '?')} active of"
        f" {counts.get('totalSubscriptions', '?')} subscriptions"
    )


def _subscription_lines(sub: Json) -> list[str]:
    """One subscription as the card shows it: status and product, then its facts, then buttons."""
    lines = [f"{sub['status']:<10} {sub.get('productName', sub.get('productId', ''))}"]
    facts = [
        ("subscription", sub["subscriptionId"]),
        ("sku", sub.get("productSku", "")),
        ("frequency", sub.get("frequency", "")),
        ("price", f"{sub.get('price', '')} {sub.get('currency', '')} x {sub['quantity']}"),
        ("prepaid", _prepaid(sub)),
        ("next order", _day(sub.get("nextOrderDate", ""))),
        ("ships to", sub.get("shipsTo", "")),
        ("cancelled", _day(sub.get("cancelledAt", ""))),
        ("reason", _reason(sub)),
    ]
    lines += [f"{'':<10} {name:<13}{value}" for name, value in facts if value.strip()]
    buttons = " ".join(f"[{action['name']}]" for action in sub.get("actions", []))
    if buttons:
        lines.append(f"{'':<10} {'buttons':<13}{buttons}")
    return lines


def _prepaid(sub: Json) -> str:
    if sub.get("prepaid") != "true":
        return ""
    left = sub.get("prepaidOrdersRemaining")
    facts = [f"{left} order(s) left" if left else "", sub.get("prepaidRenewalBehavior", "")]
    return "yes" + "".join(f", {fact}" for fact in facts if fact)


def _reason(sub: Json) -> str:
    """The reason's words with its code, then the details."""
    words, code = sub.get("cancellationReason", ""), sub.get("cancellationReasonCode", "")
    reason = f"{words} ({code})" if code else ""
    return " - ".join(filter(None, (reason, sub.get("cancellationDetails", ""))))


def _form_lines(form: Json) -> list[str]:
    lines = [f"== {form['title']} =="]
    for section in form["sections"]:
        if section["type"] == "text":
            lines.append(section["text"])
            continue
        field = section["input"]
        optional = " (optional)" if field.get("optional") else ""
        lines.append(f"{section['label']}{optional} [{section['attr']}]")
        lines += [f"  - {o['value']}: {o['text']}" for o in field.get("options", [])]
    lines.append(f"[{form['submitButton']}] [{form['closeButton']}]")
    return lines


def _day(value: str) -> str:
    return value[:10]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gladly-sandbox",
        description="A local imitation of Gladly's REST API, and a signed caller of the gateway "
        "(GATEWAY_URL, GLADLY_SIGNING_KEYS).",
    )
    parser.set_defaults(command=serve)  # no subcommand means serve
    commands = parser.add_subparsers(title="commands")
    commands.add_parser(
        "serve", help="serve the REST API (GLADLY_SANDBOX_LISTEN, GLADLY_API_USER/TOKEN)"
    ).set_defaults(command=serve)

    found = commands.add_parser("lookup", help="BASIC lookup: find customers by e-mail")
    found.add_argument("--email", action="append", help=f"repeatable (default {DEMO_EMAIL})")
    found.set_defaults(command=lookup)

    shown = commands.add_parser("card", help="DETAILED lookup: print the Subscriptions card")
    _gladly_customer_option(shown)
    shown.set_defaults(command=card)

    skipped = commands.add_parser("skip", help="press Skip Next Order: form, then submit")
    skipped.add_argument("subscription", metavar="SUBSCRIPTION_ID")
    _gladly_customer_option(skipped)
    skipped.set_defaults(command=skip)

    cancelled = commands.add_parser("cancel", help="press Cancel Order: form, then submit")
    cancelled.add_argument("subscription", metavar="SUBSCRIPTION_ID")
    cancelled.add_argument(
        "--reason", default="", metavar="CODE", help="one of the reason codes the form offers"
    )
    cancelled.add_argument("--details", default="", metavar="TEXT")
    _gladly_customer_option(cancelled)
    cancelled.set_defaults(command=cancel)

    pressed = commands.add_parser(
        "press", help='press any button, e.g. press "Change Quantity" SUB quantity=3'
    )
    pressed.add_argument("button", help="the button's name on the card")
    pressed.add_argument("subscription", metavar="SUBSCRIPTION_ID")
    pressed.add_argument(
        "values", nargs="*", metavar="ATTR=VALUE", help="the form's values (a select's: VALUE)"
    )
    pressed.add_argument(
        "--search", metavar="WORDS", help="a form that searches offers only what matches them"
    )
    _gladly_customer_option(pressed)
    pressed.set_defaults(command=press)
    return parser


def _gladly_customer_option(parser: argparse.ArgumentParser) -> None:
    """The Gladly customer and the Ordergroove customer it is linked to."""
    parser.add_argument("--gladly-customer", default=DEMO_CUSTOMER_ID, help="Gladly customer id")
    parser.add_argument("--customer", default=DEMO_EXTERNAL_CUSTOMER_ID, help="Ordergroove id")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command: Command = args.command
    try:
        return command(args)
    except ConfigError as error:
        print(f"gladly-sandbox: {error}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    except Refused as refusal:
        print(f"gladly-sandbox: {refusal}", file=sys.stderr)
        return EXIT_REFUSED
    except httpx.TransportError as error:
        print(f"gladly-sandbox: cannot reach the gateway: {error}", file=sys.stderr)
        return EXIT_REFUSED
