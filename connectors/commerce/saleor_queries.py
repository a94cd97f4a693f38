"""The GraphQL documents the Saleor backend sends (besides `connectors.saleor`'s mutations).

Each is validated against the shipped schema by a test, and by the fake Saleor on every call.
Selections stay within what `MANAGE_ORDERS` and `MANAGE_PRODUCTS` may read.
"""

from __future__ import annotations

from connectors.saleor import CANCEL, FULFILL, PRODUCT_SEO

ORDER = """query OpsgraphOrder($id: ID!) {
  order(id: $id) {
    id number status
    lines {
      id quantity quantityFulfilled productSku
      variant { id sku stocks { warehouse { id } quantity quantityAllocated } }
    }
    fulfillments { id status trackingNumber lines { quantity orderLine { id } } }
  }
}"""

VARIANT_STOCK = """query OpsgraphVariantStock($sku: String!) {
  productVariant(sku: $sku) {
    id sku
    product { id }
    stocks { warehouse { id } quantity quantityAllocated }
    channelListings { price { amount } }
  }
}"""

PRODUCT = """query OpsgraphProduct($id: ID!) {
  product(id: $id) { id slug seoTitle seoDescription description }
}"""

ORDER_NOTE = """query OpsgraphOrderNote($id: ID!, $key: String!) {
  order(id: $id) { id metafield(key: $key) }
}"""

WRITE_NOTE = """mutation OpsgraphNote($id: ID!, $input: [MetadataInput!]!) {
  updateMetadata(id: $id, input: $input) {
    item { metadata { key value } } errors { field code message }
  }
}"""

PRODUCT_DESCRIPTION = """mutation OpsgraphProductDescription($id: ID!, $input: ProductInput!) {
  productUpdate(id: $id, input: $input) {
    product { id description } errors { field code message }
  }
}"""

DOCUMENTS = {
    "order": ORDER,
    "variant_stock": VARIANT_STOCK,
    "product": PRODUCT,
    "order_note": ORDER_NOTE,
    "write_note": WRITE_NOTE,
    "product_description": PRODUCT_DESCRIPTION,
    "fulfill": FULFILL,
    "cancel": CANCEL,
    "product_seo": PRODUCT_SEO,
}
"""Every document the Saleor backend sends, by purpose."""
