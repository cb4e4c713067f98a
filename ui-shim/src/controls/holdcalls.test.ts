import { test, mock } from "node:test";
import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { HoldCalls, isNews, type HoldOutcome, type HoldReply } from "./holdcalls";

/** A server whose answers the test releases by hand. */
function server() {
  const sent: number[] = [];
  const answers: ((r: HoldReply | Error) => void)[] = [];
  const call = (holdMs: number) =>
    new Promise<HoldReply>((resolve, reject) => {
      sent.push(holdMs);
      answers.push((r) => (r instanceof Error ? reject(r) : resolve(r)));
    });
  const answer = (r: HoldReply | Error = { held: true, message: "", heldSecondsTotal: 1 }) => answers.shift()!(r);
  return { sent, call, answer };
}
const settle = () => new Promise((r) => setImmediate(r));

test("a skippable hold is not sent while a call is on its way; a release always is", async () => {
  const s = server();
  const calls = new HoldCalls(s.call, () => {});
  const first = calls.once(800, true);
  assert.deepEqual(await calls.once(800, true), { skipped: true });
  const release = calls.once(0, false);
  assert.deepEqual(s.sent, [800, 0]);
  s.answer();
  s.answer({ held: false, message: "hold released", heldSecondsTotal: 2 });
  assert.deepEqual(await first, { reply: { held: true, message: "", heldSecondsTotal: 1 } });
  assert.deepEqual(await release, { reply: { held: false, message: "hold released", heldSecondsTotal: 2 } });
  // Nothing on its way any more: the next one goes out.
  void calls.once(800, true);
  assert.deepEqual(s.sent, [800, 0, 800]);
});

test("a failed hold comes back as Connect's code and message", async () => {
  const s = server();
  const calls = new HoldCalls(s.call, () => {});
  const out = calls.once(800, true);
  s.answer(new ConnectError("no StudioService here", Code.Unimplemented));
  assert.deepEqual(await out, { code: Code.Unimplemented, message: "no StudioService here" });
});

test("renewals go out on time, skip while one is on its way, tell only news, and stop", async () => {
  mock.timers.enable({ apis: ["setInterval", "setTimeout"] });
  try {
    const s = server();
    const news: HoldOutcome[] = [];
    const calls = new HoldCalls(s.call, (o) => news.push(o));
    calls.renew(800, 250, true);
    assert.equal(calls.renewing, true);
    assert.deepEqual(s.sent, [], "the first hold waits for a task of its own");
    mock.timers.tick(0);
    assert.deepEqual(s.sent, [800]);
    mock.timers.tick(250);
    assert.deepEqual(s.sent, [800], "a renewal is skipped while the last is on its way");
    s.answer();
    await settle();
    mock.timers.tick(250);
    assert.deepEqual(s.sent, [800, 800]);
    s.answer({ held: false, message: "this server does not hold training", heldSecondsTotal: 0 });
    await settle();
    assert.equal(news.length, 1, "a refusal is news");
    mock.timers.tick(250);
    s.answer();
    await settle();
    assert.equal(news.length, 1, "a hold that held is not");
    calls.stopRenewing();
    assert.equal(calls.renewing, false);
    mock.timers.tick(1000);
    assert.equal(s.sent.length, 3, "no renewal after the stop");
  } finally {
    mock.timers.reset();
  }
});

test("a renewal stopped before its first hold went out sends nothing", () => {
  mock.timers.enable({ apis: ["setInterval", "setTimeout"] });
  try {
    const s = server();
    const calls = new HoldCalls(s.call, () => {});
    calls.renew(800, 250, true);
    calls.stopRenewing();
    mock.timers.tick(1000);
    assert.deepEqual(s.sent, []);
  } finally {
    mock.timers.reset();
  }
});

test("news: a refusal and a missing StudioService, nothing else", () => {
  assert.equal(isNews({ reply: { held: false, message: "holds are off", heldSecondsTotal: 0 } }), true);
  assert.equal(isNews({ reply: { held: true, message: "", heldSecondsTotal: 3 } }), false);
  assert.equal(isNews({ code: Code.Unimplemented, message: "" }), true);
  assert.equal(isNews({ code: Code.Unavailable, message: "down" }), false);
  assert.equal(isNews({ skipped: true }), false);
});
