/**
 * Datasets over real HTTP: numpy-written fixtures (test/fixtures/datasets/make.py) uploaded as
 * multipart/form-data, described, read back with row/column selections and deleted; and every
 * way an upload is refused, each leaving nothing behind on disk.
 */
import { zip } from './helpers/zip.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { startStack, type Stack } from './helpers/stack.ts';
import { parseNpy, writeNpy, npyHeader } from '../src/datasets/npy.ts';
import type { HostArray } from '../src/spec/arrays.ts';

const FIXTURES = new URL('./fixtures/datasets/', import.meta.url).pathname;
const MAX_BYTES = 4 * 1024 * 1024;

interface Expected {
  shape: number[];
  dtype: 'float32' | 'int32';
  sum: number;
  columns?: string[];
}
type ExpectedFile = Record<string, Record<string, Expected>>;

const fixture = (name: string) => fs.readFile(path.join(FIXTURES, name));

async function upload(stack: Stack, files: Array<{ name: string; data: Uint8Array | string; field?: string }>) {
  const form = new FormData();
  for (const f of files) form.append(f.field ?? 'file', new Blob([typeof f.data === 'string' ? f.data : new Uint8Array(f.data)]), f.name);
  const res = await fetch(`${stack.baseUrl}/v1/datasets`, { method: 'POST', body: form });
  return { status: res.status, type: res.headers.get('content-type'), location: res.headers.get('location'), body: (await res.json()) as any };
}

const sum = (values: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
};

/** numpy sums in float64 with pairwise summation, this sums in order: equal up to rounding. */
function assertSum(actual: number, expected: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: sum ${actual} != ${expected}`);
}



describe('datasets', () => {
  let stack: Stack;
  let root: string;
  let expected: ExpectedFile;
  /** Ids of the datasets the tests expect on disk. */
  const kept = new Set<string>();
  const savedEnv = process.env.DATASET_MAX_BYTES;

  before(async () => {
    // The plugin reads DATASET_MAX_BYTES from process.env (startStack's env only reaches loadConfig).
    process.env.DATASET_MAX_BYTES = String(MAX_BYTES);
    stack = await startStack({ worker: false });
    root = path.join(stack.config.checkpointDir, 'datasets');
    expected = JSON.parse(await fs.readFile(path.join(FIXTURES, 'expected.json'), 'utf8'));
  });
  after(async () => {
    await stack?.close();
    if (savedEnv === undefined) delete process.env.DATASET_MAX_BYTES;
    else process.env.DATASET_MAX_BYTES = savedEnv;
  });

  /** The datasets folder holds exactly the kept datasets: no temp dirs, no half-written dataset. */
  async function assertNothingLeft() {
    const names = await fs.readdir(root).catch(() => [] as string[]);
    assert.deepEqual(names.sort(), [...kept].sort(), 'the datasets folder holds only the accepted datasets');
  }

  async function assertMatches(body: any, files: string[]) {
    const want: Record<string, Expected> = Object.assign({}, ...files.map((f) => expected[f]));
    assert.deepEqual(Object.keys(body.arrays).sort(), Object.keys(want).sort());
    for (const [name, e] of Object.entries(want)) {
      const got = body.arrays[name];
      assert.deepEqual(got.shape, e.shape, `${name} shape`);
      assert.equal(got.dtype, e.dtype, `${name} dtype`);
      assert.deepEqual(got.columns, e.columns, `${name} columns`);
      const array = await stack.app.datasets.readArray(body.id, name);
      assert.deepEqual(array.shape, e.shape);
      assert.equal(array.dtype, e.dtype);
      assert.ok(e.dtype === 'int32' ? array.values instanceof Int32Array : array.values instanceof Float32Array);
      assertSum(sum(array.values), e.sum, name);
    }
  }

  for (const file of ['x_small.npy', 'y_small.npy', 'xy.npz', 'stored.npz', 'table.csv']) {
    test(`${file} uploads and reads back as numpy wrote it`, async () => {
      const res = await upload(stack, [{ name: file, data: await fixture(file) }]);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.location, `/v1/datasets/${res.body.id}`);
      assert.equal(res.body.links.self, `/v1/datasets/${res.body.id}`);
      kept.add(res.body.id);
      await assertMatches(res.body, [file]);
      // Stored as numpy would read it: one normalized .npy per array, plus meta.json.
      const names = (await fs.readdir(path.join(root, res.body.id))).sort();
      assert.deepEqual(names, [...Object.keys(expected[file]).map((n) => `${n}.npy`), 'meta.json'].sort());
      let bytes = 0;
      for (const n of names.filter((n) => n.endsWith('.npy'))) bytes += (await fs.stat(path.join(root, res.body.id, n))).size;
      assert.equal(res.body.bytes, bytes);
      await assertNothingLeft();
    });
  }

  test('several files in one request become one dataset; GET describes it and DELETE removes it', async () => {
    const files = ['x_small.npy', 'y_small.npy', 'table.csv', 'xy.npz'];
    const res = await upload(stack, await Promise.all(files.map(async (name) => ({ name, data: await fixture(name) }))));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    kept.add(res.body.id);
    await assertMatches(res.body, files);

    const got = await fetch(`${stack.baseUrl}/v1/datasets/${res.body.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(await got.json(), res.body);

    const del = await fetch(`${stack.baseUrl}/v1/datasets/${res.body.id}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal(await del.text(), '');
    kept.delete(res.body.id);
    await assertNothingLeft();
    for (const method of ['GET', 'DELETE']) {
      const gone = await fetch(`${stack.baseUrl}/v1/datasets/${res.body.id}`, { method });
      assert.equal(gone.status, 404, method);
      assert.equal(gone.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(((await gone.json()) as any).code, 'KJ_ERR_DATASET_NOT_FOUND');
    }
  });

  test('unknown and malformed ids are 404', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', '..', '.tmp-x', 'a%2F..%2Fb']) {
      const res = await fetch(`${stack.baseUrl}/v1/datasets/${id}`);
      assert.equal(res.status, 404, id);
    }
  });

  test('a JSON nested array becomes an array: integers as int32, otherwise float32', async () => {
    const res = await upload(stack, [
      { name: 'labels.json', data: '[[1, 2, 3], [4, 5, 6]]' },
      { name: 'weights.json', data: '[0.5, 1, -2.25]' },
    ]);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    kept.add(res.body.id);
    assert.deepEqual(res.body.arrays, { labels: { shape: [2, 3], dtype: 'int32' }, weights: { shape: [3], dtype: 'float32' } });
    const labels = await stack.app.datasets.readArray(res.body.id, 'labels');
    assert.deepEqual(Array.from(labels.values), [1, 2, 3, 4, 5, 6]);
    const weights = await stack.app.datasets.readArray(res.body.id, 'weights');
    assert.deepEqual(Array.from(weights.values), [0.5, 1, -2.25]);
  });

  test('readArray slices rows (as Python slices, clamped) and selects columns by name or index', async () => {
    const res = await upload(stack, [
      { name: 'x_small.npy', data: await fixture('x_small.npy') },
      { name: 'y_small.npy', data: await fixture('y_small.npy') },
      { name: 'table.csv', data: await fixture('table.csv') },
    ]);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    kept.add(res.body.id);
    const store = stack.app.datasets;
    const id = res.body.id;

    const x = await store.readArray(id, 'x_small');
    const rows = await store.readArray(id, 'x_small', { rows: [10, 20] });
    assert.deepEqual(rows.shape, [10, 32]);
    assert.deepEqual(Array.from(rows.values), Array.from(x.values.subarray(10 * 32, 20 * 32)));
    const tail = await store.readArray(id, 'x_small', { rows: [-4, 64] });
    assert.deepEqual(tail.shape, [4, 32]);
    assert.deepEqual(Array.from(tail.values), Array.from(x.values.subarray(60 * 32)));
    const empty = await store.readArray(id, 'y_small', { rows: [5, 5] });
    assert.deepEqual(empty.shape, [0]);
    const y = await store.readArray(id, 'y_small');
    assert.deepEqual(Array.from((await store.readArray(id, 'y_small', { rows: [0, -60] })).values), Array.from(y.values.subarray(0, 4)));

    const table = await store.readArray(id, 'table');
    const picked = await store.readArray(id, 'table', { columns: ['label', 'a'] });
    assert.deepEqual(picked.shape, [20, 2]);
    for (let r = 0; r < 20; r++) {
      assert.equal(picked.values[2 * r], table.values[4 * r + 3]);
      assert.equal(picked.values[2 * r + 1], table.values[4 * r]);
    }
    const both = await store.readArray(id, 'table', { rows: [2, 5], columns: [-1, 1] });
    assert.deepEqual(both.shape, [3, 2]);
    assert.deepEqual(Array.from(both.values), [2, 3, 4].flatMap((r) => [table.values[4 * r + 3], table.values[4 * r + 1]]));
    // Column indices work on any 2-D array, names only where a CSV gave them.
    assert.deepEqual((await store.readArray(id, 'x_small', { columns: [0] })).shape, [64, 1]);

    // rows mean what they mean at submit: Python's x[start:stop], clamped to the array.
    assert.deepEqual((await store.readArray(id, 'x_small', { rows: [0, 65] })).shape, [64, 32]);
    assert.deepEqual((await store.readArray(id, 'x_small', { rows: [-65, 3] })).shape, [3, 32]);
    assert.deepEqual(Array.from((await store.readArray(id, 'x_small', { rows: [-2, 100] })).values), Array.from((await store.readArray(id, 'x_small')).values.slice(62 * 32)));
    for (const rows of [[5, 2], [64, 70]] as Array<[number, number]>) assert.deepEqual((await store.readArray(id, 'x_small', { rows })).shape, [0, 32], `rows ${rows}`);
    const refused: Array<[string, Parameters<typeof store.readArray>[2], RegExp]> = [
      ['x_small', { rows: [0.5, 2] as [number, number] }, /integers/],
      ['table', { columns: ['nope'] }, /no column "nope" \(it has: a, b, c, label\)/],
      ['table', { columns: [4] }, /column index 4 is out of range/],
      ['table', { columns: [] }, /at least one/],
      ['x_small', { columns: ['a'] }, /no column names/],
      ['y_small', { columns: [0] }, /only be selected from a 2-D array/],
    ];
    for (const [name, options, message] of refused) {
      await assert.rejects(store.readArray(id, name, options), (err: any) => err.code === 'KJ_ERR_BAD_ARRAY_SELECTION' && message.test(err.message), `${name} ${JSON.stringify(options)}`);
    }
    await assert.rejects(store.readArray(id, 'z'), { code: 'KJ_ERR_DATASET_ARRAY_NOT_FOUND', statusCode: 404 });
    await assert.rejects(store.readArray('no-such-dataset', 'x'), { code: 'KJ_ERR_DATASET_NOT_FOUND', statusCode: 404 });
    await assert.rejects(store.readArray('../etc', 'x'), { code: 'KJ_ERR_DATASET_NOT_FOUND' });
  });

  describe('refused uploads answer problem+json and leave nothing behind', () => {
    const fileError = async (files: Parameters<typeof upload>[1], pointer: string, message: RegExp, status = 422) => {
      const res = await upload(stack, files);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.type, 'application/problem+json; charset=utf-8');
      assert.equal(res.body.status, status);
      if (status === 422) {
        assert.equal(res.body.code, 'KJ_ERR_INVALID_DATASET');
        assert.equal(res.body.errors.length, 1);
        assert.equal(res.body.errors[0].pointer, pointer);
        assert.match(res.body.errors[0].message, message);
      } else {
        assert.match(res.body.detail, message);
      }
      await assertNothingLeft();
      return res.body;
    };

    test('big-endian .npy', async () => {
      await fileError([{ name: 'big_endian.npy', data: await fixture('big_endian.npy') }], '/file/big_endian.npy', /big-endian dtype '>f4' is not supported/);
    });

    test('all or nothing: a valid file next to an invalid one is not kept either', async () => {
      await fileError(
        [
          { name: 'x_small.npy', data: await fixture('x_small.npy') },
          { name: 'big_endian.npy', data: await fixture('big_endian.npy') },
        ],
        '/file/big_endian.npy',
        /big-endian/,
      );
    });

    test('a .npy whose header claims more data than the file holds, or less', async () => {
      const x = await fixture('x_small.npy');
      await fileError([{ name: 'x_small.npy', data: x.subarray(0, x.length - 100) }], '/file/x_small.npy', /truncated: shape \(64, 32\) of '<f8' needs 16384 bytes of data, the file has 16284/);
      await fileError([{ name: 'x_small.npy', data: Buffer.concat([x, Buffer.alloc(8)]) }], '/file/x_small.npy', /more data than its header says/);
      await fileError([{ name: 'x_small.npy', data: x.subarray(0, 30) }], '/file/x_small.npy', /ends inside the .npy header/);
      await fileError([{ name: 'junk.npy', data: 'not numpy at all' }], '/file/junk.npy', /magic string/);
    });

    test('fortran order, object and int64 beyond int32 are refused with the reason', async () => {
      // Same-length edits of a header this service writes.
      const edit = (header: Buffer, from: string, to: string) => Buffer.from(header.toString('latin1').replace(from, to), 'latin1');
      const fortran = Buffer.concat([edit(npyHeader([2, 2], 'float32'), 'False', 'True '), Buffer.alloc(16)]);
      await fileError([{ name: 'f.npy', data: fortran }], '/file/f.npy', /Fortran-order/);
      const object = Buffer.concat([edit(npyHeader([1], 'float32'), "'<f4'", "'|O' "), Buffer.alloc(8)]);
      await fileError([{ name: 'o.npy', data: object }], '/file/o.npy', /object arrays/);
      const i8header = edit(npyHeader([2], 'int32'), "'<i4'", "'<i8'");
      const big = Buffer.alloc(16);
      big.writeBigInt64LE(5n, 0);
      big.writeBigInt64LE(2n ** 40n, 8);
      await fileError([{ name: 'i8.npy', data: Buffer.concat([i8header, big]) }], '/file/i8.npy', /value at index 1: 1099511627776 is outside the int32 range/);
    });

    test('a zip bomb: a deflated member of 50 MB of zeros', async () => {
      const count = (50 * 1024 * 1024) / 4;
      const member = Buffer.concat([npyHeader([count], 'float32'), Buffer.alloc(count * 4)]);
      // Honest headers: refused from the declared sizes, before inflating anything.
      const honest = zip([{ name: 'x.npy', data: member, method: 8 }]);
      assert.ok(honest.length < 200_000, `the bomb is small (${honest.length} bytes)`);
      await fileError([{ name: 'bomb.npz', data: honest }], '', /bomb\.npz: its members would inflate to 52428928 bytes, more than 4194304/, 413);
      // Lying headers (declares 128 bytes): stopped while inflating.
      const lying = zip([{ name: 'x.npy', data: member, method: 8, declaredSize: 128 }]);
      await fileError([{ name: 'liar.npz', data: lying }], '/file/liar.npz', /member "x\.npy": inflates to more than the 128 bytes its zip header declares/);
    });

    test('hand-made npz: stored and deflated members are read; bad members are refused', async () => {
      const a = writeNpy({ shape: [3], dtype: 'int32', values: Int32Array.from([1, 2, 3]) });
      const b = writeNpy({ shape: [2, 2], dtype: 'float32', values: Float32Array.from([0.5, 1.5, 2.5, 3.5]) });
      const ok = await upload(stack, [{ name: 'ab.npz', data: zip([{ name: 'a.npy', data: a, method: 0 }, { name: 'b.npy', data: b, method: 8 }]) }]);
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      kept.add(ok.body.id);
      assert.deepEqual(ok.body.arrays, { a: { shape: [3], dtype: 'int32' }, b: { shape: [2, 2], dtype: 'float32' } });

      await fileError([{ name: 'notes.npz', data: zip([{ name: 'readme.txt', data: Buffer.from('hi'), method: 0 }]) }], '/file/notes.npz', /member "readme.txt" is not a .npy file/);
      await fileError([{ name: 'bad.npz', data: zip([{ name: '1x.npy', data: a, method: 0 }]) }], '/file/bad.npz', /member "1x" is not a valid array name/);
      await fileError([{ name: 'dup.npz', data: zip([{ name: 'a.npy', data: a, method: 0 }, { name: 'a.npy', data: a, method: 8 }]) }], '/file/dup.npz', /duplicate/);
      const corrupt = zip([{ name: 'a.npy', data: a, method: 0 }]);
      corrupt[30 + 'a.npy'.length + a.length - 1] ^= 0xff; // flip a data byte: the CRC no longer matches
      await fileError([{ name: 'corrupt.npz', data: corrupt }], '/file/corrupt.npz', /CRC-32 mismatch/);
      await fileError([{ name: 'notzip.npz', data: 'PK but not really' }], '/file/notzip.npz', /not a valid .npz \(zip\) file/);
    });

    test('a CSV with a non-numeric cell names the row and column', async () => {
      await fileError([{ name: 't.csv', data: 'a,b,c\n1,2,3\n4,five,6\n' }], '/file/t.csv', /row 2 \(line 3\), column "b": "five" is not a number/);
      await fileError([{ name: 't.csv', data: 'a,b\n1,2\n3\n' }], '/file/t.csv', /row 2 \(line 3\) has 1 cells, the header has 2 columns/);
      await fileError([{ name: 't.csv', data: '1,2\n3,4\n' }], '/file/t.csv', /must name the columns/);
      await fileError([{ name: 't.csv', data: 'a,b,a\n1,2,3\n' }], '/file/t.csv', /names column "a" twice/);
      // 60,000 columns, the duplicate last: a quadratic check would take minutes.
      const wide = Array.from({ length: 60_000 }, (_, i) => `c${i}`);
      await fileError([{ name: 't.csv', data: `${wide.join(',')},c0\n` }], '/file/t.csv', /names column "c0" twice/);
      await fileError([{ name: 't.csv', data: 'a,b\n1,\n' }], '/file/t.csv', /column "b": empty cell is not a number/);
    });

    test('JSON that is not a rectangular numeric array', async () => {
      await fileError([{ name: 'r.json', data: '[[1, 2], [3]]' }], '/file/r.json', /at \/1: ragged array/);
      await fileError([{ name: 's.json', data: '[[1, "2"]]' }], '/file/s.json', /at \/0\/1: expected a finite number, got "2"/);
      await fileError([{ name: 'o.json', data: '{"x": [1]}' }], '/file/o.json', /expected a \(nested\) JSON array/);
      await fileError([{ name: 'b.json', data: '[1, 2' }], '/file/b.json', /not valid JSON/);
    });

    test('duplicate array names across parts', async () => {
      const x = await fixture('x_small.npy');
      await fileError(
        [
          { name: 'x_small.npy', data: x },
          { name: 'x_small.npy', data: x },
        ],
        '/file/x_small.npy',
        /"x_small" is a duplicate/,
      );
      // xy.npz holds x and y: a separate x.npy collides with its member.
      await fileError(
        [
          { name: 'x.npy', data: x },
          { name: 'xy.npz', data: await fixture('xy.npz') },
        ],
        '/file/xy.npz',
        /member "x" is a duplicate/,
      );
    });

    test('bad file extensions and names, other form fields, no files', async () => {
      await fileError([{ name: 'notes.txt', data: 'hello' }], '/file/notes.txt', /unsupported file type ".txt"/);
      await fileError([{ name: 'x small.npy', data: await fixture('y_small.npy') }], '/file/x small.npy', /"x small" is not a valid array name/);
      await fileError([{ name: 'y.npy', data: await fixture('y_small.npy'), field: 'y' }], '/file/y.npy', /parts named "file", not "y"/);
      const form = new FormData();
      form.append('note', 'text');
      const res = await fetch(`${stack.baseUrl}/v1/datasets`, { method: 'POST', body: form });
      assert.equal(res.status, 422);
      const field = (await res.json()) as any;
      assert.match(field.detail, /^unexpected form field "note"/);
      assert.deepEqual(field.errors.map((e: any) => e.pointer), ['/file']);
      const none = await fetch(`${stack.baseUrl}/v1/datasets`, { method: 'POST', body: new FormData() });
      assert.equal(none.status, 422);
      assert.match(((await none.json()) as any).detail, /^no files/);
      await assertNothingLeft();
    });

    test('a malformed or cut-off multipart body is 400, and a client that hangs up leaves nothing behind', async () => {
      const part = '--B\r\nContent-Disposition: form-data; name="file"; filename="y.npy"\r\n\r\n';
      for (const [type, body] of [
        ['multipart/form-data', part],
        ['multipart/form-data; boundary=B', part + 'no closing boundary'],
      ]) {
        const res = await fetch(`${stack.baseUrl}/v1/datasets`, { method: 'POST', headers: { 'content-type': type }, body });
        assert.equal(res.status, 400, type);
        assert.equal(((await res.json()) as any).code, 'KJ_ERR_BAD_MULTIPART');
      }
      // Half an upload, then the connection drops.
      await new Promise<void>((resolve) => {
        const req = http.request(`${stack.baseUrl}/v1/datasets`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=B' } });
        req.on('error', () => resolve());
        req.write(part);
        req.write(Buffer.alloc(256 * 1024));
        setTimeout(() => req.destroy(), 100);
      });
      for (let i = 0; ; i++) {
        const names = await fs.readdir(root);
        if (names.every((n) => kept.has(n))) break;
        if (i === 50) assert.fail(`left behind after a dropped upload: ${names.filter((n) => !kept.has(n))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await assertNothingLeft();
    });

    test('an upload over DATASET_MAX_BYTES is 413, in one file or across files', async () => {
      const header = npyHeader([MAX_BYTES / 4 + 16], 'float32');
      const big = Buffer.concat([header, Buffer.alloc(MAX_BYTES + 64)]);
      await fileError([{ name: 'big.npy', data: big }], '', /larger than 4194304 bytes/, 413);
      const half = Buffer.concat([npyHeader([MAX_BYTES / 8], 'float32'), Buffer.alloc(MAX_BYTES / 2)]);
      await fileError(
        [
          { name: 'a.npy', data: half },
          { name: 'b.npy', data: half },
          { name: 'c.npy', data: half },
        ],
        '',
        /The upload is larger than 4194304 bytes \(DATASET_MAX_BYTES\)/,
        413,
      );
      // The limit holds for what is stored too: 2 MiB of uint8 would take 8 MiB as int32.
      const n = 2 * 1024 * 1024;
      const u8 = Buffer.concat([Buffer.from(npyHeader([n], 'int32').toString('latin1').replace("'<i4'", "'|u1'"), 'latin1'), Buffer.alloc(n, 7)]);
      await fileError([{ name: 'u8.npy', data: u8 }], '', /u8\.npy: stored as float32\/int32 the arrays would take more than 4194304 bytes/, 413);
      // The server still answers on a fresh connection.
      assert.equal((await fetch(`${stack.baseUrl}/v1/datasets/x`)).status, 404);
    });

    test('not multipart is 415', async () => {
      for (const [type, body] of [
        ['application/json', '{"file": "x"}'],
        ['application/octet-stream', 'abc'],
      ]) {
        const res = await fetch(`${stack.baseUrl}/v1/datasets`, { method: 'POST', headers: { 'content-type': type }, body });
        assert.equal(res.status, 415, type);
        const problem = (await res.json()) as any;
        assert.equal(problem.code, 'KJ_ERR_NOT_MULTIPART');
      }
      const res = await fetch(`${stack.baseUrl}/v1/datasets`, { method: 'POST' });
      assert.equal(res.status, 415);
      await assertNothingLeft();
    });
  });
});

describe('npy', () => {
  test('writeNpy → parseNpy round trips float32, int32, 0-d and empty arrays, with 64-byte aligned headers', () => {
    const arrays: HostArray[] = [
      { shape: [2, 3], dtype: 'float32', values: Float32Array.from([0.1, -2, 3.5, 1e-30, 3e38, 0]) },
      { shape: [4], dtype: 'int32', values: Int32Array.from([-(2 ** 31), -1, 0, 2 ** 31 - 1]) },
      { shape: [], dtype: 'float32', values: Float32Array.from([7]) },
      { shape: [0, 5], dtype: 'int32', values: new Int32Array(0) },
    ];
    for (const a of arrays) {
      const bytes = writeNpy(a);
      const headerLength = bytes.readUInt16LE(8);
      assert.equal((10 + headerLength) % 64, 0);
      assert.equal(bytes[6], 1, 'version 1.0');
      const back = parseNpy(bytes);
      assert.deepEqual(back.shape, a.shape);
      assert.equal(back.dtype, a.dtype);
      assert.deepEqual(Array.from(back.values), Array.from(a.values));
      assert.equal(back.values.constructor, a.values.constructor);
    }
    assert.match(writeNpy(arrays[0]).subarray(10, 80).toString('latin1'), /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \}/);
    assert.throws(() => writeNpy({ shape: [3], dtype: 'float32', values: new Float32Array(2) }), /needs 3 values/);
  });

  test('parseNpy reads what numpy.save wrote, normalizing float64 to float32', async () => {
    const expected: ExpectedFile = JSON.parse(await fs.readFile(path.join(FIXTURES, 'expected.json'), 'utf8'));
    const x = parseNpy(await fixture('x_small.npy'));
    assert.deepEqual(x.shape, [64, 32]);
    assert.equal(x.dtype, 'float32');
    assertSum(sum(x.values), expected['x_small.npy'].x_small.sum, 'x_small');
    const y = parseNpy(await fixture('y_small.npy'));
    assert.equal(y.dtype, 'int32');
    assertSum(sum(y.values), expected['y_small.npy'].y_small.sum, 'y_small');
    const bigEndian = await fixture('big_endian.npy');
    assert.throws(() => parseNpy(bigEndian), /big-endian/);
  });

  test('version 2.0 and 3.0 headers are read too', () => {
    const v1 = writeNpy({ shape: [2], dtype: 'int32', values: Int32Array.from([4, 5]) });
    const dict = v1.subarray(10);
    for (const major of [2, 3]) {
      const pre = Buffer.alloc(12);
      Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]).copy(pre);
      pre.writeUInt32LE(v1.readUInt16LE(8), 8);
      const back = parseNpy(Buffer.concat([pre, dict]));
      assert.deepEqual(Array.from(back.values), [4, 5]);
    }
  });
});

