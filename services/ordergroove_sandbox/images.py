"""Pictures of the sandbox's made-up products: a coloured square with the product's initials."""

from __future__ import annotations

import hashlib
from html import escape
from typing import Final

from services.ordergroove_sandbox.model import Product

IMAGE_ROUTE: Final = "/images/{sku}.svg"  # under the sandbox's own /_sandbox (app.py)
SVG_MEDIA_TYPE: Final = "image/svg+xml"


def image_url(public_url: str, sku: str) -> str:
    """Where a browser finds the picture of the product with this sku."""
    # Real Ordergroove products carry the merchant's own picture URL, on its CDN (the recorded
    # answers hold absolute https URLs). The sandbox hosts pictures of its made-up products
    # itself, so that the agent console shows them with no image host to run or reach.
    return public_url + "/_sandbox" + IMAGE_ROUTE.format(sku=sku)


def product_tile(product: Product) -> str:
    """The SVG of a product's picture; its colour follows from the sku, the same on every run."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
        f'<rect width="96" height="96" fill="{_colour(product.sku)}"/>'
        '<text x="48" y="48" dy=".35em" text-anchor="middle" fill="#fff" '
        'font-family="sans-serif" font-size="36" font-weight="bold">'
        f"{escape(_initials(product))}</text></svg>"
    )


def _initials(product: Product) -> str:
    """The first letters of the name's first two words ("Daily Multivitamin, 60 ct": DM), or
    the sku's first letters for a name without words."""
    words = [word for word in product.name.split(",")[0].split() if word[0].isalpha()]
    return "".join(word[0] for word in words[:2]).upper() or product.sku[:2].upper()


def _colour(sku: str) -> str:
    # A hash rather than hash(): Python salts str hashes per process.
    hue = int.from_bytes(hashlib.sha256(sku.encode()).digest()[:2]) % 360
    return f"hsl({hue}, 45%, 42%)"
