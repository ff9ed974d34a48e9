import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MaxV1Bytes, parseProxyHeader, proxiedAddress, V2Signature, type ProxyParse } from '../../../src/http/portable/proxy.js';

const Http = Buffer.from('GET / HTTP/1.1\r\n\r\n');

function v2(verCmd: number, fam: number, addr: Buffer, tlv: Buffer = Buffer.alloc(0)): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(addr.length + tlv.length);
  return Buffer.concat([V2Signature, Buffer.from([verCmd, fam]), len, addr, tlv]);
}

function done(r: ProxyParse): Extract<ProxyParse, { state: 'done' }> {
  assert.equal(r.state, 'done', JSON.stringify(r));
  return r as Extract<ProxyParse, { state: 'done' }>;
}

test('version 1: TCP4, TCP6, UNKNOWN, and the bytes after the header are left', () => {
  const table: [string, string | null, number, string][] = [
    ['PROXY TCP4 192.168.0.1 10.0.0.1 56324 443\r\n', '192.168.0.1', 56324, 'tcp4'],
    ['PROXY TCP6 2001:db8::1 ::1 65535 0\r\n', '2001:db8::1', 65535, 'tcp6'],
    ['PROXY UNKNOWN\r\n', null, 0, 'unknown'],
    ['PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n', null, 0, 'unknown'],
  ];
  for (const [text, source, sourcePort, family] of table) {
    const r = done(parseProxyHeader(Buffer.concat([Buffer.from(text, 'latin1'), Http])));
    assert.equal(r.length, text.length);
    assert.equal(r.header.version, 1);
    assert.equal(r.header.source, source);
    assert.equal(r.header.sourcePort, sourcePort);
    assert.equal(r.header.family, family);
    assert.equal(proxiedAddress(r.header), source ?? '');
  }
});

test('version 1: malformed headers are refused', () => {
  const bad = [
    'GET / HTTP/1.1\r\n', 'PROXY\r\n', 'PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n', 'PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n',
    'PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n', 'PROXY TCP4 ::1 ::1 1 2\r\n', 'PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n',
    'PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n', 'PROXY TCP4 1.2.3.4 1.2.3.4 01 2\r\n', 'PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n',
    'PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n', 'proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n', `PROXY UNKNOWN ${'x'.repeat(MaxV1Bytes)}\r\n`,
    `PROXY UNKNOWN ${'x'.repeat(MaxV1Bytes)}`,
  ];
  for (const text of bad) assert.equal(parseProxyHeader(Buffer.from(text, 'latin1')).state, 'bad', JSON.stringify(text));
});

test('version 2: PROXY over IPv4, IPv6 and unix, LOCAL, UNSPEC; TLVs skipped', () => {
  const ip4 = Buffer.from([10, 1, 2, 3, 192, 168, 0, 9, 0xdb, 0xc4, 0x01, 0xbb]);
  const tlv = Buffer.from([0x04, 0x00, 0x03, 0x61, 0x62, 0x63, 0x01, 0x00, 0x02, 0x68, 0x32]);
  let r = done(parseProxyHeader(Buffer.concat([v2(0x21, 0x11, ip4, tlv), Http])));
  assert.deepEqual(r.header, { version: 2, command: 'proxy', family: 'tcp4', source: '10.1.2.3', sourcePort: 56260, destination: '192.168.0.9', destinationPort: 443 });
  assert.equal(r.length, 16 + 12 + tlv.length);
  const ip6 = Buffer.alloc(36);
  Buffer.from('20010db8000000000000000000000001', 'hex').copy(ip6, 0);
  ip6[31] = 1;
  ip6.writeUInt16BE(1234, 32);
  ip6.writeUInt16BE(80, 34);
  r = done(parseProxyHeader(v2(0x21, 0x21, ip6)));
  assert.equal(r.header.source, '2001:db8::1');
  assert.equal(r.header.destination, '::1');
  assert.equal(r.header.sourcePort, 1234);
  const unix = Buffer.alloc(216);
  unix.write('/run/client.sock', 0);
  unix.write('/run/server.sock', 108);
  r = done(parseProxyHeader(v2(0x21, 0x31, unix)));
  assert.equal(r.header.family, 'unix');
  assert.equal(r.header.source, '/run/client.sock');
  assert.equal(r.header.destination, '/run/server.sock');
  r = done(parseProxyHeader(v2(0x20, 0x11, ip4)));
  assert.equal(r.header.command, 'local');
  assert.equal(proxiedAddress(r.header), '');
  r = done(parseProxyHeader(v2(0x20, 0x00, Buffer.alloc(0))));
  assert.equal(r.header.command, 'local');
  r = done(parseProxyHeader(v2(0x21, 0x00, Buffer.alloc(0))));
  assert.equal(r.header.family, 'unknown');
  assert.equal(proxiedAddress(r.header), '');
});

test('version 2: malformed headers are refused', () => {
  const ip4 = Buffer.alloc(12);
  const bad = [
    v2(0x11, 0x11, ip4), v2(0x22, 0x11, ip4), v2(0x21, 0x13, ip4), v2(0x21, 0x11, Buffer.alloc(8)), v2(0x21, 0x21, ip4),
    v2(0x21, 0x31, Buffer.alloc(100)), Buffer.concat([Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0b]), Buffer.alloc(16)]),
  ];
  for (const b of bad) assert.equal(parseProxyHeader(b).state, 'bad', b.toString('hex'));
  const huge = v2(0x21, 0x11, ip4);
  huge.writeUInt16BE(60000, 14);
  assert.equal(parseProxyHeader(huge).state, 'bad');
});

test('a header split across TCP segments: "more" at every cut, "done" when whole', () => {
  const headers = [
    Buffer.from('PROXY TCP4 192.168.0.1 10.0.0.1 56324 443\r\n', 'latin1'),
    v2(0x21, 0x11, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2]), Buffer.from([0x04, 0x00, 0x01, 0x78])),
  ];
  for (const h of headers) {
    for (let cut = 0; cut < h.length; cut++) assert.equal(parseProxyHeader(h.subarray(0, cut)).state, 'more', `cut ${cut}`);
    assert.equal(done(parseProxyHeader(Buffer.concat([h, Http]))).length, h.length);
  }
  // A prefix that can no longer be a header is refused at once, not held.
  assert.equal(parseProxyHeader(Buffer.from('PRX')).state, 'bad');
  assert.equal(parseProxyHeader(Buffer.from([0x0d, 0x0a, 0x0a])).state, 'bad');
});
