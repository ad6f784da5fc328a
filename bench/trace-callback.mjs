// Where the callback page's time goes: a Chromium trace of one login's callback page, read
// back as a waterfall. Each row is a request (sent → answered), a script compiled or run on the
// main thread, the worker's thread starting, or the `token` event, in ms from the navigation to
// the redirect URL; `after` names what the request waited for (its initiator).
//   npm run bench:trace                  (the drop-in, on a page like the bench's)
//   PRELOAD=1 npm run bench:trace        (the same page with the modulepreload lines of docs/getting-started.md)
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_USER } from '../demo/servers/provider.mjs';
import { startStack } from '../demo/servers/stack.mjs';
import { launchChromium } from '../test/support/browser.mjs';

const dist = new URL('../dist/', import.meta.url);
const session = readdirSync(dist).find((name) => /^closo-login-session-.+\.min\.js$/.test(name));
const preload = process.env.PRELOAD ? `<link rel="modulepreload" href="/dist/${session}">\n` : '';
const dir = mkdtempSync(join(tmpdir(), 'closo-trace-'));
writeFileSync(join(dir, 'callback.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>callback trace</title>
${preload}<script type="module" src="/dist/closo-login.min.js"></script>
</head>
<body><closo-login headless issuer="{{issuer}}" client-id="{{clientId}}" audience="{{audience}}"></closo-login></body></html>
`);

const stack = await startStack({ pages: { '/trace/': { dir, csp: false } } });
const browser = await launchChromium();
const traceFile = join(dir, 'trace.json');
try {
  // The first login warms the provider and the browser; the second is traced.
  for (let run = 0; run < 2; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.addEventListener('token', () => performance.mark('token event'), { capture: true, once: true });
    });
    await page.goto(`${stack.demo.origin}/trace/callback.html`);
    await page.locator('closo-login').evaluate((element) => { element.login(); });
    await page.waitForURL(/\/u\/login\//);
    await page.getByLabel('Email').fill(DEMO_USER.email);
    await page.getByLabel('Password').fill(DEMO_USER.password);
    if (run === 1) {
      await browser.startTracing(page, { path: traceFile, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'v8.execute', 'disabled-by-default-v8.compile', 'loading', 'toplevel'] });
    }
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForFunction(() => performance.getEntriesByName('token event').length > 0, null, { timeout: 20_000 });
    if (run === 1) await browser.stopTracing();
    await context.close();
  }
} finally {
  await browser.close();
  await stack.close();
}

const { traceEvents } = JSON.parse(readFileSync(traceFile, 'utf8'));
rmSync(dir, { recursive: true, force: true });
const sent = traceEvents.filter((e) => e.name === 'ResourceSendRequest');
const navigation = sent.find((e) => /\/trace\/callback\.html\?code=/.test(e.args.data.url));
const t0 = navigation.ts;
const ms = (ts) => ((ts - t0) / 1000).toFixed(1).padStart(6);
const short = (url) => url.replace(/^https?:\/\/[^/]+/, '').replace(/\?.*/, '');
const requests = new Map();
for (const e of traceEvents) {
  const id = e.args?.data?.requestId;
  if (!id || e.ts < t0) continue;
  const request = requests.get(id) ?? {};
  if (e.name === 'ResourceSendRequest') Object.assign(request, { url: e.args.data.url, sent: e.ts, initiator: e.args.data.initiator?.url });
  if (e.name === 'ResourceReceiveResponse') request.answered = e.ts;
  if (e.name === 'ResourceFinish') request.finished = e.ts;
  requests.set(id, request);
}
const rows = [];
for (const r of requests.values()) {
  if (!r.url || short(r.url) === '/favicon.ico') continue;
  rows.push([r.sent, `${ms(r.sent)} → ${r.finished ? ms(r.finished) : '     ?'}  request  ${short(r.url)}${r.initiator ? `   after ${short(r.initiator)}` : ''}`]);
}
// Scripts compiled and run on the renderer's main thread (the page's process: the one that parsed the callback page).
const main = traceEvents.find((e) => e.name === 'ParseHTML' && e.ts > t0);
for (const e of traceEvents) {
  if (e.ts < t0 || e.ph !== 'X' || e.pid !== main.pid) continue;
  const url = e.args?.data?.url ?? e.args?.fileName;
  if (['v8.compileModule', 'v8.evaluateModule', 'EvaluateScript', 'v8.compile'].includes(e.name) && url && (e.dur > 300 || e.name === 'v8.evaluateModule')) {
    rows.push([e.ts, `${ms(e.ts)} → ${ms(e.ts + e.dur)}  ${e.tid === main.tid ? 'main   ' : 'thread '}  ${e.name} ${short(url)}`]);
  }
  if (e.name === 'RunMicrotasks' && e.tid === main.tid && e.dur > 3000) rows.push([e.ts, `${ms(e.ts)} → ${ms(e.ts + e.dur)}  main     microtasks`]);
}
for (const e of traceEvents) {
  if (e.ts > t0 && e.name === 'WorkerScriptFetcher CreateAndStart' && e.ph === 'b') rows.push([e.ts, `${ms(e.ts)}           worker   new Worker()`]);
  if (e.ts > t0 && e.pid === main.pid && (e.cat ?? '').includes('user_timing') && e.name === 'token event') rows.push([e.ts, `${ms(e.ts)}           page     token event`]);
}
// The worker's thread: its first message handled is the page's binding; it then answers "ready".
const workerThread = traceEvents.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === main.pid && /DedicatedWorker/.test(e.args?.name ?? ''));
const firstCall = workerThread && traceEvents.find((e) => e.ts > t0 && e.pid === main.pid && e.tid === workerThread.tid && e.name === 'FunctionCall');
if (firstCall) rows.push([firstCall.ts, `${ms(firstCall.ts)}           worker   handles its first message (the binding), then answers ready`]);
rows.sort((a, b) => a[0] - b[0]);
console.log(`The callback page, traced (${process.env.PRELOAD ? 'with' : 'without'} modulepreload; ms from the navigation to the redirect URL):`);
for (const [, row] of rows) console.log(row);
