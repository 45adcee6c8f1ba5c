"""`/_sandbox/...`: the controls tests and benchmarks use — faults, switches, seeding, the
journal, a customer's own changes — and the made-up products' pictures. No API key (a browser
loads the pictures); plain JSON but for the pictures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from services.ordergroove_sandbox import api
from services.ordergroove_sandbox.errors import ApiError, not_found
from services.ordergroove_sandbox.fields import parse_json
from services.ordergroove_sandbox.images import IMAGE_ROUTE, SVG_MEDIA_TYPE, product_tile
from services.ordergroove_sandbox.seeding import parse_customer_seed, plant
from services.ordergroove_sandbox.state import Sandbox

Handler = Callable[[Request, Sandbox], Awaitable[Response]]


async def add_fault(request: Request, sandbox: Sandbox) -> Response:
    rule = sandbox.faults.add(parse_json(await request.body()))
    return JSONResponse({"id": rule.id}, 201)


async def list_faults(_: Request, sandbox: Sandbox) -> Response:
    return JSONResponse([rule.as_json() for rule in sandbox.faults.rules])


async def clear_faults(_: Request, sandbox: Sandbox) -> Response:
    sandbox.faults.clear()
    return Response(status_code=204)


async def remove_fault(request: Request, sandbox: Sandbox) -> Response:
    if not sandbox.faults.remove(request.path_params["rule_id"]):
        raise not_found()
    return Response(status_code=204)


async def get_switches(_: Request, sandbox: Sandbox) -> Response:
    return JSONResponse(sandbox.switches.as_json())


async def set_switches(request: Request, sandbox: Sandbox) -> Response:
    sandbox.switches.update(parse_json(await request.body()))
    return JSONResponse(sandbox.switches.as_json())


async def add_customer(request: Request, sandbox: Sandbox) -> Response:
    seed = parse_customer_seed(parse_json(await request.body()), sandbox.store)
    return JSONResponse(plant(sandbox.store, seed, sandbox.public_url), 201)


async def reset(_: Request, sandbox: Sandbox) -> Response:
    sandbox.reset()
    return Response(status_code=204)


async def list_requests(_: Request, sandbox: Sandbox) -> Response:
    return JSONResponse(sandbox.journal.as_json())


async def clear_requests(_: Request, sandbox: Sandbox) -> Response:
    sandbox.journal.clear()
    return Response(status_code=204)


async def product_image(request: Request, sandbox: Sandbox) -> Response:
    """The picture of a product in the store, drawn from the stored product, never from the
    path; any other sku is a 404."""
    product = sandbox.store.product_with_sku(request.path_params["sku"])
    return Response(product_tile(product), media_type=SVG_MEDIA_TYPE)


async def healthz(_: Request, __: Sandbox) -> Response:
    return JSONResponse({"status": "ok"})


def control_routes(sandbox: Sandbox) -> list[BaseRoute]:
    def route(path: str, method: str, handler: Handler) -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request, sandbox)
            except ApiError as error:
                return error.response()

        return Route(path, endpoint, methods=[method])

    return [
        route("/faults", "POST", add_fault),
        route("/faults", "GET", list_faults),
        route("/faults", "DELETE", clear_faults),
        route("/faults/{rule_id}", "DELETE", remove_fault),
        route("/switches", "GET", get_switches),
        route("/switches", "PATCH", set_switches),
        route("/customers", "POST", add_customer),
        *(
            route("/as-customer/{path:path}", method, api.as_customer)
            for method in ("GET", "PATCH")
        ),
        route("/reset", "POST", reset),
        route("/requests", "GET", list_requests),
        route("/requests", "DELETE", clear_requests),
        route("/healthz", "GET", healthz),
        route(IMAGE_ROUTE, "GET", product_image),
    ]
