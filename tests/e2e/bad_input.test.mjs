// The page under bad input (issue 14, item 6): checkpoints that are not this page's (truncated,
// random bytes, another program's safetensors, JSON, empty, a header length past the file), CSV
// files of garbage and binary data, absurd values typed into fields or pasted into the address, a
// learning rate that blows training up, and a worker that throws. Each gives a clear status line;
// the page keeps working and the trained model is not lost: afterwards it samples exactly the
// points it sampled before (same weights, same seed: the same computation in the same module).
//
// One page for all of them, trained 200 steps (the assertions are about the model staying, not
// about its quality).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openPage, randomSource, resultsDir, sampleAndWait, state, waitReady } from './helpers.mjs';

const STEPS = 200;
const file = (name, bytes) => {
  const where = path.join(resultsDir, name);
  writeFileSync(where, bytes);
  return where;
};
const status = (page) => page.$eval('[data-testid=status]', (e) => ({ text: e.textContent, level: e.className }));

// Waits for a status line matching `pattern` and returns it.
async function statusMatching(page, pattern, timeout = 60000) {
  try {
    await page.waitForFunction((p) => new RegExp(p).test(document.querySelector('[data-testid=status]').textContent),
      pattern.source, { timeout, polling: 50 });
  } catch (error) {
    throw new Error(`no status matching ${pattern} (the status: "${(await status(page)).text}")`, { cause: error });
  }
  return status(page);
}

// A safetensors file: 8-byte little-endian header length, the JSON header, the data.
function safetensors(header, data) {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

// Picks `value` in a select that does not offer it (as a hand-edited page or an extension could).
async function forceSelect(page, name, value) {
  await page.evaluate(([n, v]) => {
    const select = document.getElementById(`setting-${n}`);
    select.append(new Option(v, v));
    select.value = v;
    select.dispatchEvent(new Event('change'));
  }, [name, value]);
}

test('bad files, fields, links, a blow-up and a failing worker: clear status, the model stays', { timeout: 15 * 60000 }, async () => {
  const { page, problems, close } = await openPage({ hash: '#steps=300' });
  try {
    await waitReady(page);
    await page.click('#step', { modifiers: ['Shift'] });
    await page.waitForFunction(() => window.diffuse.state().step === 100 && !window.diffuse.state().running);
    await page.click('#step', { modifiers: ['Shift'] });
    await page.waitForFunction((s) => window.diffuse.state().step === s && !window.diffuse.state().running, STEPS);
    const before = await sampleAndWait(page, 5 * 60000);
    const loss = (await state(page)).loss;
    const unchanged = async (what) => {
      const s = await state(page);
      assert.equal(s.step, STEPS, `${what}: the step`);
      assert.equal(s.loss, loss, `${what}: the loss`);
      assert.equal(s.settings.dataset, 'moons', `${what}: the data set`);
    };
    const seen = [];
    const expectError = async (what, pattern) => {
      const s = await statusMatching(page, pattern);
      assert.match(s.level, /error|warn/, `${what}: ${s.text}`);
      seen.push(`${what}: ${s.text}`);
      await unchanged(what);
    };

    // ---- checkpoints ----
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=checkpoint-download]')]);
    const good = path.join(resultsDir, 'bad-input-good.safetensors');
    await download.saveAs(good);
    const goodBytes = (await import('node:fs')).readFileSync(good);
    const random = randomSource(7);
    const uploads = [
      ['truncated.safetensors', goodBytes.subarray(0, goodBytes.length >> 1)],
      ['random.safetensors', Buffer.from(Array.from({ length: 4096 }, () => Math.floor(256 * random.uniform())))],
      ['foreign.safetensors', safetensors({ 'encoder.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
        __metadata__: { format: 'pt' } }, Buffer.alloc(16))],
      ['config.json', Buffer.from(JSON.stringify({ model: { hidden: 128 }, weights: [1, 2, 3] }))],
      ['empty.safetensors', Buffer.alloc(0)],
      ['huge-header.safetensors', Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
        Buffer.from('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}')])],
    ];
    for (const [name, bytes] of uploads) {
      await page.setInputFiles('[data-testid=checkpoint-upload]', file(name, bytes));
      await expectError(name, new RegExp(`cannot load this checkpoint: .*${name.replace('.', '\\.')}`));
    }

    // ---- data files ----
    await page.setInputFiles('#csv', file('garbage.csv', 'x,y\nhello,world\n1,2,3\n\u0000\u0001,;;\n'));
    await expectError('garbage.csv', /garbage\.csv.*\(the current run goes on\)/);
    await page.setInputFiles('#csv', file('binary.csv', Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 37 + 11) % 256))));
    await expectError('binary.csv', /binary\.csv.*\(the current run goes on\)/);
    assert.equal(await page.$eval('[data-testid=dataset]', (e) => e.value), 'moons', 'the data control shows the run');

    // ---- absurd values typed into fields ----
    const typed = [['timesteps', '0', /Steps T = "0" is not allowed: it must be an integer in \[2, 4000\]; it stays 1000/],
      ['hidden', '100000', /Width = "100000" is not allowed: it must be an integer in \[1, 1024\]; it stays 128/],
      ['steps', '-1', /Training steps = "-1" is not allowed: it must be an integer in \[1, 1000000000\]; it stays 300/],
      ['lr', 'NaN', /Learning rate = "NaN" is not allowed: it must be a number in \(0, ∞\); it stays 0.001/]];
    for (const [name, value, pattern] of typed) {
      await forceSelect(page, name, value);
      await expectError(`${name} = ${value}`, pattern);
    }
    await page.fill('#setting-seed', '-5');
    await page.press('#setting-seed', 'Enter');
    await expectError('seed = -5', /Seed = "-5" is not allowed: it must be an integer in \[0, 2147483647\]; it stays 0/);
    assert.equal(await page.$eval('#setting-seed', (e) => e.value), '0');

    // ---- pasted into the address ----
    await page.evaluate(() => { location.hash = '#steps=300&timesteps=0&hidden=100000&lr=NaN&batch=-1'; });
    await expectError('the address', /Ignored from the address: timesteps = "0" is not allowed \(an integer in \[2, 4000\]\); hidden = "100000"/);
    assert.equal(await page.evaluate(() => location.hash), '#steps=300');

    // ---- a learning rate that blows training up: the run goes back to its last good state ----
    await page.evaluate(() => { location.hash = '#steps=300&lr=1000000000'; });
    await page.waitForFunction(() => window.diffuse.state().settings.lr === 1e9);
    await page.click('[data-testid=train]');
    // (a loss above 100x its median, or one that overflows: either way the weights behind it are bad)
    const blown = await statusMatching(page, /training diverged|the loss became NaN or infinite/);
    assert.match(blown.text, /the model is back at its last good state, step 200/);
    seen.push(`lr = 1e9: ${blown.text}`);
    await page.waitForFunction(() => !window.diffuse.state().running);
    assert.equal((await state(page)).step, STEPS);
    await page.evaluate(() => { location.hash = '#steps=300'; });
    await page.waitForFunction(() => window.diffuse.state().settings.lr === 0.001);

    // ---- a worker that throws: restarted, with the model restored ----
    await page.evaluate(() => window.diffuse.failWorker());
    await statusMatching(page, /the worker failed/);
    const restored = await statusMatching(page, /it was restarted and the model is back at step 200/);
    seen.push(`worker: ${restored.text}`);
    assert.equal((await state(page)).step, STEPS);

    // ---- the model is the same: the same samples, bit for bit ----
    const after = await sampleAndWait(page, 5 * 60000);
    assert.deepEqual(after, before);
    console.log(seen.join('\n'));
    await page.screenshot({ path: path.join(resultsDir, 'bad-input-1280x800.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(resultsDir, 'bad-input-390x844.png') });
    assert.deepEqual(problems.filter((p) => !/test hook/.test(p)), []);
  } finally {
    await close();
  }
});
