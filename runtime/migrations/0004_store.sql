-- The local store: τ-bench retail users, orders and products, one document per record, kept
-- exactly as the seed files shape it. `doc` is `json`, not `jsonb`: jsonb reorders object keys
-- (payment methods, variants, fields), and the retail tools answer with the records serialized
-- in their own key order. `position` keeps the seed order, which look-ups scan in.
CREATE TABLE store_users (
    tenant_id  text NOT NULL REFERENCES tenants (tenant_id),
    user_id    text NOT NULL,
    position   integer NOT NULL,
    doc        json NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);

CREATE INDEX store_users_zip ON store_users (tenant_id, ((doc -> 'address') ->> 'zip'));

CREATE TABLE store_orders (
    tenant_id  text NOT NULL REFERENCES tenants (tenant_id),
    order_id   text NOT NULL,
    user_id    text NOT NULL,
    status     text NOT NULL,
    position   integer NOT NULL,
    doc        json NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);

CREATE INDEX store_orders_user ON store_orders (tenant_id, user_id);

CREATE TABLE store_products (
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id),
    product_id  text NOT NULL,
    position    integer NOT NULL,
    doc         json NOT NULL,
    PRIMARY KEY (tenant_id, product_id)
);
