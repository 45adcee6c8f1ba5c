"""The agent console: the sandbox's root URL shows what an agent sees in Gladly.

It acts as Gladly does, through the real gateway with signed requests: a BASIC lookup to find
customers by e-mail, a DETAILED lookup for the Subscriptions card, a signed GET of a button's
form and a signed POST of the answers to the form's actionUrl, then a new DETAILED lookup. The
profile, its conversations and the timeline entries that arrived come from the sandbox's own
state. Plain server-rendered HTML: every form posts and redirects, so no JavaScript is needed.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Generic, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import httpx
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from common.config import (
    TRACE_PLACEHOLDER,
    GladlySandboxSettings,
    csv_values,
    default_of,
)
from gateway.gladly_auth import GladlySignature
from services.devstack import LOCAL_DEFAULTS
from services.gladly_sandbox import console_state as sandbox
from services.gladly_sandbox import console_view as view
from services.gladly_sandbox import lookup_answer
from services.gladly_sandbox.state import DEMO_EMAIL, NotFoundError, SandboxState

LOOKUP_PATH: Final = "/gladly/lookup"  # the gateway's lookup adaptor, as Gladly is configured
# Longer than the gateway's own deadline, so that the gateway's answer is what the agent reads.
REQUEST_TIMEOUT_SECONDS: Final = 30.0
# Open forms and notices waiting for their redirect are kept in memory, the most recent only.
KEPT_FORMS: Final = 500
_SECURITY_HEADERS: Final = {
    # Product images may live anywhere; nothing else is loaded and no script runs.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src http: https: data:; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" would send form posts with Origin: null
}

T = TypeVar("T")
# What `make run` gives the gateway: the first local signing key.
LOCAL_SIGNING_KEY: Final = csv_values(LOCAL_DEFAULTS["GLADLY_SIGNING_KEYS"])[0]


@dataclass
class ConsoleSettings:
    """Where the gateway is, the key to sign with, and the trace viewer's URL template (or "").
    Mutable so that tests can name the gateway once it listens (it starts after the sandbox)."""

    gateway_url: str = f"http://{default_of(GladlySandboxSettings, 'gateway_listen')}"
    signing_key: str = field(default=LOCAL_SIGNING_KEY, repr=False)
    trace_url: str = ""

    def trace_link(self, trace_id: str) -> str:
        if not self.trace_url or not trace_id:
            return ""
        return self.trace_url.replace(TRACE_PLACEHOLDER, quote(trace_id, safe=""))


def signing_key(settings: GladlySandboxSettings) -> str:
    """Gladly signs with the first of GLADLY_SIGNING_KEYS; unset, with `make run`'s."""
    keys = settings.gladly_signing_keys
    return keys[0] if keys else LOCAL_SIGNING_KEY


def console_settings(settings: GladlySandboxSettings) -> ConsoleSettings:
    """The gateway and the key as the CLI uses them, and GLADLY_SANDBOX_TRACE_URL."""
    return ConsoleSettings(
        gateway_url=settings.gateway,
        signing_key=signing_key(settings),
        trace_url=settings.trace_url,
    )


# --- the gateway, called as Gladly calls it ------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A failure as the agent reads it, with the trace id the gateway gave (or "")."""

    message: str
    trace_id: str = ""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # the parsed JSON; None when the answer was not JSON

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and self.body is not None

    def problems(self) -> list[Problem]:
        errors = self.body.get("errors") if isinstance(self.body, dict) else None
        if not isinstance(errors, list) or not errors:
            return [Problem(f"HTTP {self.status}: the gateway's answer carries no errors")]
        return [_problem(self.status, e) for e in errors if isinstance(e, dict)]

    def error_items(self) -> list[dict[str, Any]]:
        errors = self.body.get("errors") if isinstance(self.body, dict) else None
        return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


class Unreachable(Exception):
    """The gateway did not answer; the message says why."""


class Gateway:
    def __init__(self, settings: ConsoleSettings) -> None:
        self._settings = settings

    async def call(self, method: str, url: str, body: Any = None) -> Answer:
        """A signed request to a path on the gateway (a form's or action's URL, verbatim)."""
        target = self._on_gateway(url)
        async with httpx.AsyncClient(
            base_url=self._settings.gateway_url,
            auth=GladlySignature(self._settings.signing_key),
            timeout=REQUEST_TIMEOUT_SECONDS,
        ) as client:
            try:
                response = await client.request(method, target, json=body)
            except httpx.HTTPError as error:
                raise Unreachable(f"cannot reach the gateway: {error!r}") from None
        try:
            return Answer(response.status_code, response.json())
        except ValueError:
            return Answer(response.status_code, None)

    def _on_gateway(self, url: str) -> str:
        """A path is resolved against the gateway's base, as Gladly resolves it against the
        integration's; an absolute URL must name the gateway itself (no signed request leaves)."""
        parts, base = urlsplit(url), urlsplit(self._settings.gateway_url)
        if url.startswith("/") and not url.startswith("//"):
            return url
        if (parts.scheme, parts.netloc) == (base.scheme, base.netloc):
            return url
        raise Unreachable(f"not a URL of the gateway: {url}")

    async def lookup(self, level: str, query: dict[str, Any], unique: bool) -> Answer:
        body = {"lookupLevel": level, "query": query, "uniqueMatchRequired": unique}
        return await self.call("POST", LOOKUP_PATH, body)


def _problem(status: int, error: dict[str, Any]) -> Problem:
    words = [str(error[k]) for k in ("message", "detail") if error.get(k) not in (None, "")]
    text = ": ".join(words) or str(error.get("code", ""))
    trace = error.get("traceId")
    return Problem(f"HTTP {status} {text}".rstrip(), trace if isinstance(trace, str) else "")


# --- what the console remembers between a page and the next -------------------------------------


class Recent(Generic[T]):
    """The most recent values by random token; older ones are forgotten."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[str, T] = OrderedDict()

    def keep(self, value: T) -> str:
        token = secrets.token_urlsafe(12)
        self._values[token] = value
        while len(self._values) > self._size:
            self._values.popitem(last=False)
        return token

    def get(self, token: str) -> T | None:
        return self._values.get(token)


@dataclass(frozen=True)
class OpenForm:
    customer_id: str
    button: str
    form: view.Form


@dataclass(frozen=True)
class Notice:
    """What the last action came to: the gateway's message and detail, or its problems."""

    title: str
    detail: str = ""
    problems: tuple[Problem, ...] = ()


# --- pages ---------------------------------------------------------------------------------------


def console_routes(state: SandboxState, settings: ConsoleSettings) -> list[Route]:
    pages = _Pages(state, settings)
    return [
        Route("/", pages.search, methods=["GET"]),
        Route("/customers/{customer_id}", pages.customer, methods=["GET"]),
        Route("/customers/{customer_id}/form", pages.open_form, methods=["GET"]),
        Route("/customers/{customer_id}/form", pages.submit_form, methods=["POST"]),
        Route("/customers/{customer_id}/conversations", pages.new_conversation, methods=["POST"]),
        Route(
            "/customers/{customer_id}/conversations/{conversation_id}/status",
            pages.conversation_status,
            methods=["POST"],
        ),
    ]


_templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# An id as one path segment (a "/" in it must not start another).
_templates.filters["segment"] = lambda value: quote(str(value), safe="")


class _Pages:
    def __init__(self, state: SandboxState, settings: ConsoleSettings) -> None:
        self._state = state
        self._settings = settings
        self._gateway = Gateway(settings)
        self._forms: Recent[OpenForm] = Recent(KEPT_FORMS)
        self._notices: Recent[Notice] = Recent(KEPT_FORMS)

    def _page(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = _templates.get_template(template).render(
            trace_link=self._settings.trace_link, view=view, **values
        )
        return HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)

    def _missing(self, what: str) -> HTMLResponse:
        return self._page("missing.html", 404, what=what)

    async def search(self, request: Request) -> Response:
        email = request.query_params.get("email", "").strip()
        found, problems = await self._lookup("BASIC", {"emails": [email]}) if email else ([], [])
        results = [
            (r, sandbox.profiles_linked_to(self._state, str(r.get("externalCustomerId"))))
            for r in found
        ]
        return self._page(
            "search.html",
            email=email,
            searched=bool(email),
            results=results,
            problems=problems,
            example=DEMO_EMAIL,
        )

    async def customer(self, request: Request) -> Response:
        customer_id = request.path_params["customer_id"]
        try:
            profile = self._state.customer(customer_id)
        except NotFoundError:
            return self._missing("customer")
        linked = sandbox.linked_ids(profile)
        card, problems = await self._card(profile, linked)
        notice = self._notices.get(request.query_params.get("notice", ""))
        return self._page(
            "customer.html",
            profile=profile,
            linked=linked,
            card=card,
            problems=problems,
            notice=notice,
            conversations=sandbox.conversations(self._state, customer_id),
            statuses=sandbox.CONVERSATION_STATUSES,
            timeline=sandbox.timeline_newest_first(self._state, customer_id),
        )

    async def _card(
        self, profile: sandbox.Customer, linked: list[str]
    ) -> tuple[dict[str, Any] | None, list[Problem]]:
        """The DETAILED lookup Gladly runs for a linked profile: its one result, or why not."""
        if not linked:
            return None, []
        query = {"id": profile.id, "externalCustomerId": linked[0], "emails": profile.emails}
        results, problems = await self._lookup("DETAILED", query)
        return next(iter(results), None), problems

    async def _lookup(
        self, level: str, query: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[Problem]]:
        """The lookup's results (a DETAILED one asks for a unique match), or why there are none."""
        try:
            answer = await self._gateway.lookup(level, query, unique=level == "DETAILED")
        except Unreachable as error:
            return [], [Problem(str(error))]
        if not answer.ok:
            return [], answer.problems()
        if refused := lookup_answer.refusal(answer.body, level):
            return [], [Problem(refused)]  # as Gladly, which fails the agent's lookup
        return list(answer.body["results"]), []

    async def open_form(self, request: Request) -> Response:
        customer_id = request.path_params["customer_id"]
        try:
            self._state.customer(customer_id)
        except NotFoundError:
            return self._missing("customer")
        form_url = request.query_params.get("url", "")
        button = request.query_params.get("button", "")
        try:
            answer = await self._gateway.call("GET", form_url)
            if not answer.ok:
                return self._failed(customer_id, button, answer.problems())
            form = view.read_form(answer.body)
        except (Unreachable, view.BadForm) as error:
            return self._failed(customer_id, button, [Problem(str(error))])
        opened = OpenForm(customer_id, button, form)
        return self._form_page(self._forms.keep(opened), opened, view.initial_values(form))

    def _form_page(
        self,
        token: str,
        opened: OpenForm,
        values: Mapping[str, Any],
        errors: view.FormErrors | None = None,
        trace_id: str = "",
        status: int = 200,
    ) -> HTMLResponse:
        return self._page(
            "form.html",
            status,
            token=token,
            opened=opened,
            form=opened.form,
            values=values,
            errors=errors or view.FormErrors(),
            trace_id=trace_id,
        )

    async def submit_form(self, request: Request) -> Response:
        customer_id = request.path_params["customer_id"]
        if refused := _cross_site(request):
            return refused
        posted = await _posted(request)
        token = posted.get("_form", "")
        opened = self._forms.get(token)
        if opened is None or opened.customer_id != customer_id:
            return self._page("missing.html", 410, what="form", customer_id=customer_id)
        if "_close" in posted:
            return _see_other(f"/customers/{quote(customer_id, safe='')}")
        values = {k: v for k, v in posted.items() if not k.startswith("_")}
        body = view.submission(opened.form, values)
        try:
            answer = await self._gateway.call("POST", opened.form.action_url, body)
        except Unreachable as error:
            return self._failed(customer_id, opened.button, [Problem(str(error))])
        if answer.ok:
            message = answer.body.get("message", "") if isinstance(answer.body, dict) else ""
            detail = answer.body.get("detail", "") if isinstance(answer.body, dict) else ""
            return self._after(customer_id, Notice(str(message), str(detail)))
        if answer.status == 400:
            # Gladly keeps the form open and shows the errors: beside a field when they name it.
            attrs = {f.attr for f in opened.form.fields}
            errors = view.form_errors(answer.error_items(), attrs)
            if not (errors.by_attr or errors.general):  # a 400 that names no error
                errors.general = [p.message for p in answer.problems()]
            traces = [p.trace_id for p in answer.problems() if p.trace_id]
            return self._form_page(token, opened, values, errors, next(iter(traces), ""), 400)
        # Any other answer dismisses the form with an error, as Gladly does.
        return self._failed(customer_id, opened.button, answer.problems())

    def _failed(self, customer_id: str, button: str, problems: list[Problem]) -> Response:
        return self._after(customer_id, Notice(f"{button} failed", problems=tuple(problems)))

    def _after(self, customer_id: str, notice: Notice) -> Response:
        """Back to the profile (whose card is looked up again), with the outcome on top."""
        token = self._notices.keep(notice)
        path = f"/customers/{quote(customer_id, safe='')}?{urlencode({'notice': token})}"
        return _see_other(path)

    async def new_conversation(self, request: Request) -> Response:
        customer_id = request.path_params["customer_id"]
        if refused := _cross_site(request):
            return refused
        try:
            sandbox.open_conversation(self._state, customer_id)
        except NotFoundError:
            return self._missing("customer")
        return _see_other(f"/customers/{quote(customer_id, safe='')}#conversations")

    async def conversation_status(self, request: Request) -> Response:
        customer_id = request.path_params["customer_id"]
        if refused := _cross_site(request):
            return refused
        status = (await _posted(request)).get("status", "")
        try:
            conversation = self._state.conversation(request.path_params["conversation_id"])
            if conversation.customer_id != customer_id:
                raise NotFoundError(conversation.id)
            sandbox.set_conversation_status(self._state, conversation.id, status)
        except NotFoundError:
            return self._missing("conversation")
        except ValueError:
            return self._page("missing.html", 400, what="status")
        return _see_other(f"/customers/{quote(customer_id, safe='')}#conversations")


async def _posted(request: Request) -> dict[str, str]:
    """The fields of an HTML form post (application/x-www-form-urlencoded, UTF-8)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _see_other(path: str) -> Response:
    return RedirectResponse(path, status_code=303, headers=_SECURITY_HEADERS)


def _cross_site(request: Request) -> Response | None:
    """Refuse a form posted from another site: the console changes state and signs requests."""
    origin = request.headers.get("origin")
    if origin is None or origin == f"{request.url.scheme}://{request.url.netloc}":
        return None
    return HTMLResponse("Cross-site form posts are refused.", status_code=403)
