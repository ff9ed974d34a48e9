// Regenerates the shipped payloads (deterministic: the same bytes on every run).
// Run: npm run build && node dist/payloads/generate.js
import { writeFileSync } from 'node:fs';
import { Random } from '../src/grammar/random.js';

const out = new URL('../../payloads/', import.meta.url);
const rng = new Random(20261121);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rng.next() * list.length)];
const int = (lo: number, hi: number): number => lo + Math.floor(rng.next() * (hi - lo + 1));
const First = ['Ada', 'Grace', 'Linus', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Radia', 'Edsger', 'Frances', 'Alan', 'Sophie'];
const Last = ['Lovelace', 'Hopper', 'Torvalds', 'Liskov', 'Thompson', 'Hamilton', 'Ritchie', 'Perlman', 'Dijkstra', 'Allen', 'Kay', 'Wilson'];
const Words = ['steel', 'oak', 'linen', 'carbon', 'amber', 'slate', 'cedar', 'copper', 'wool', 'glass', 'clay', 'cobalt'];
const Kinds = ['chair', 'lamp', 'desk', 'kettle', 'backpack', 'jacket', 'speaker', 'monitor', 'bottle', 'notebook'];
const Cities = ['Lisbon', 'Oslo', 'Osaka', 'Lagos', 'Lima', 'Leeds', 'Pune', 'Perth', 'Quebec', 'Graz'];
const day = (i: number): string => new Date(Date.UTC(2026, 0, 1) + i * 3_600_000 * 7).toISOString();

function user(id: number): object {
  const first = pick(First);
  const last = pick(Last);
  return { id, name: `${first} ${last}`, email: `${first}.${last}${id}@example.com`.toLowerCase(), city: pick(Cities), active: rng.next() < 0.8, createdAt: day(id) };
}

function product(id: number): object {
  const name = `${pick(Words)} ${pick(Kinds)}`;
  return {
    id: `SKU-${String(id).padStart(6, '0')}`, name, price: int(199, 99_999) / 100, currency: 'EUR', stock: int(0, 500),
    tags: [pick(Words), pick(Kinds)], rating: int(10, 50) / 10, description: `A ${name} made of ${pick(Words)}, shipped from ${pick(Cities)}.`,
  };
}

function order(id: number): object {
  const lines = Array.from({ length: int(1, 4) }, () => ({ sku: `SKU-${String(int(1, 5000)).padStart(6, '0')}`, quantity: int(1, 5), unitPrice: int(199, 9999) / 100 }));
  const total = Math.round(lines.reduce((a, l) => a + l.quantity * l.unitPrice, 0) * 100) / 100;
  return { id: `ORD-${100000 + id}`, customerId: int(1, 1000), status: pick(['paid', 'shipped', 'delivered', 'cancelled']), lines, total, placedAt: day(id) };
}

/** Fill a list until its JSON reaches about `bytes`. */
function sized(bytes: number, make: (i: number) => object, key: string): string {
  const items: object[] = [];
  let text = '';
  for (let i = 1; text.length < bytes; i++) {
    items.push(make(i));
    text = JSON.stringify({ [key]: items, count: items.length }, null, 1);
  }
  return `${text}\n`;
}

const files: [string, string][] = [
  ['users-1kb.json', sized(1_000, user, 'users')],
  ['orders-10kb.json', sized(10_000, order, 'orders')],
  ['catalog-100kb.json', sized(100_000, product, 'products')],
  ['catalog-1mb.json', sized(1_000_000, product, 'products')],
];
for (const [name, text] of files) {
  writeFileSync(new URL(name, out), text);
  process.stdout.write(`${name}: ${text.length} bytes\n`);
}
