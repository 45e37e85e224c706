import type { Client } from 'pg';

/**
 * The demo's source tables: `demo.orders` (integer key, so key-range partitions) with every common
 * scalar type and NULLs, and `demo."OrderItems"` (no primary key, mixed-case name, so page-range
 * partitions and quoted identifiers). Generated inside PostgreSQL in one statement each.
 */
export async function createDemoTables(client: Client, orders: number): Promise<void> {
  await client.query('DROP SCHEMA IF EXISTS demo CASCADE');
  await client.query('CREATE SCHEMA demo');
  await client.query(`
    CREATE TABLE demo.orders (
      id bigint PRIMARY KEY,
      customer_id integer NOT NULL,
      quantity bigint,
      amount numeric(12,2),
      weight double precision,
      status varchar(20),
      note text,
      is_gift boolean,
      order_date date,
      created_at timestamp,
      cancelled_at timestamp
    )`);
  await client.query(
    `INSERT INTO demo.orders
     SELECT g,
            (g * 7919) % 100000,
            CASE WHEN g % 13 = 0 THEN NULL ELSE g * 3 END,
            round((g % 100000) / 7.0, 2),
            CASE WHEN g % 11 = 0 THEN NULL ELSE g / 3.0 END,
            (ARRAY['new', 'paid', 'shipped', 'delivered'])[1 + g % 4],
            CASE WHEN g % 17 = 0 THEN NULL WHEN g % 19 = 0 THEN '' ELSE 'note, "quoted" ' || g END,
            CASE WHEN g % 23 = 0 THEN NULL ELSE g % 2 = 0 END,
            date '2020-01-01' + (g % 1500)::int,
            timestamp '2020-01-01 00:00:00' + g * interval '1 second' + (g % 1000) * interval '1 microsecond',
            NULL
     FROM generate_series(1, $1::bigint) AS g`,
    [orders],
  );
  await client.query(`CREATE TABLE demo."OrderItems" ("OrderId" bigint, "Sku" text, "Qty" integer)`);
  await client.query(
    `INSERT INTO demo."OrderItems" SELECT (g % $1::bigint) + 1, 'SKU-' || (g % 997), 1 + g % 5 FROM ` +
      `generate_series(1, $1::bigint / 2) AS g`,
    [orders],
  );
  await client.query('ANALYZE demo.orders; ANALYZE demo."OrderItems"');
}
