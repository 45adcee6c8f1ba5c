"""`make chaos`'s scenes against the real Ordergroove sandbox over HTTP: each is seeded and read
back as the merchant's website reads it, every change its customer may make goes by the path and
body Ordergroove's API takes and applies on the scene as seeded, and the judge follows each
(bench/chaos_truth.py replays it)."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from bench.chaos_scenes import (
    MEETINGS,
    ONCE,
    SINGLES,
    Form,
    Scene,
    as_the_customer,
    choices,
    seed,
)
from bench.chaos_truth import ALL, MUST_BE_ZERO, Evidence, Request, judge
from bench.stack import Stack


def _each_move(scene: Scene) -> list[Scene]:
    """The scene once per change its customer may make."""
    return [dataclasses.replace(scene, moves=(moves,)) for moves in scene.moves if moves]


async def _products_form(ordergroove: httpx.AsyncClient, product: str) -> Form:
    """A swap form's select as the gateway builds it: the products offered, the subscription's
    own the default."""
    listed = await ordergroove.get("/products/", params={"page_size": "100"})
    offered = [
        {"value": p["external_product_id"], "text": p["name"]} for p in listed.json()["results"]
    ]
    select = {"attr": "product", "defaultValue": product, "input": {"options": offered}}
    return {"sections": [select]}


async def test_every_scene_is_seeded_and_read_back(ordergroove_url: str, gladly_url: str) -> None:
    staged = await seed(Stack(ordergroove_url, gladly_url, ""), [*SINGLES, *MEETINGS, *ONCE])
    for scene in staged:
        live = [i for i, order in enumerate(scene.order_ids) if order]
        assert all(scene.items[i] for i in live), scene.scene.name  # each one's item in it
        assert set(scene.subscription_ids) <= set(scene.rows), scene.scene.name
    demo = [s for s in staged if s.scene.demo]
    assert demo and all(len(s.addresses) >= 2 for s in demo)  # the address forms' choices
    assert len({s.gladly_id for s in staged}) == len(staged)  # each scene's timeline its own


async def test_every_change_of_the_customer_applies_and_is_replayed(
    ordergroove_url: str, gladly_url: str, ordergroove: httpx.AsyncClient
) -> None:
    scenes = [one for scene in (*MEETINGS, *ONCE) for one in _each_move(scene)]
    staged = await seed(Stack(ordergroove_url, gladly_url, ""), scenes)
    await ordergroove.delete("/_sandbox/requests")
    moves = 0
    async with httpx.AsyncClient(base_url=ordergroove_url) as customer:
        for scene in staged:
            form = await _products_form(
                ordergroove, scene.rows[scene.subscription_ids[0]]["product"]
            )
            assert len(choices(form, "product")) >= 3  # two agents' swaps and the customer's
            for move in scene.moves:
                await as_the_customer(customer, scene, move, [form])
                moves += 1
    journal: list[dict[str, Any]] = (await ordergroove.get("/_sandbox/requests")).json()
    writes = [row for row in journal if row["method"] != "GET"]
    assert len(writes) == moves
    assert {row["outcome"] for row in writes} <= {200, 204}, writes
    assert all(row["query"] == "by=customer" for row in writes)
    verdicts = judge(staged, Evidence([Request.of(row) for row in journal], [], []))
    assert verdicts.columns["customer's own changes applied"][ALL] == moves
    assert {name: verdicts.columns[name][ALL] for name in MUST_BE_ZERO} == dict.fromkeys(
        MUST_BE_ZERO, 0
    ), verdicts.findings
