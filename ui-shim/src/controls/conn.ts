//! The heartbeat (get_hyper_parameters every 3 s): connection state, training state, run name
//! and model age, and the token prompt when the server answers UNAUTHENTICATED.

import { api, isAuthError, onAuthRequired, saveToken, serverAddress } from "../api";
import { promptText } from "../dialog";
import { toast } from "../toast";
import { bus, evaluatingBetweenSteps, hpFlag, hpNumber, hpString, state, trainingOn, type ConnState } from "../store";

const BEAT_MS = 3000;
let failures = 0;
let prompting = false;
/** The person closed the token prompt without a token: calls refused as unauthenticated no
 *  longer open it by themselves (it came back every two seconds); the header's "token needed"
 *  opens it again. */
let declined = false;
let timer: ReturnType<typeof setTimeout> | undefined;

function setConn(c: ConnState): void {
  if (state.conn === c) return;
  const was = state.conn;
  state.conn = c;
  bus.emit("conn", c);
  if (c === "offline" && was === "online") toast(`Lost the connection to ${serverAddress}. Retrying every few seconds…`);
  if (c === "online" && (was === "offline" || was === "auth")) toast(`Connected to ${serverAddress}.`, "ok");
}

/** One heartbeat; also used after commands to pick up the new state at once. */
export async function beat(): Promise<boolean> {
  try {
    const res = await api.experimentCommand({ getHyperParameters: true }, { timeoutMs: 2500 });
    failures = 0;
    const hps = res.hyperParametersDescs;
    state.hps = hps;
    const wasOn = trainingOn(state);
    state.training = hpFlag(hps, "is_training", "Is Training") ?? false;
    // The trainer's own evaluations (every eval_frequency steps) report training as off while
    // they run: ask whether one runs, rather than show "paused" and offer Resume meanwhile.
    const evalStatus = wasOn && !state.training ? await evaluationStatus() : undefined;
    state.evaluating = evaluatingBetweenSteps(wasOn, state.training, evalStatus);
    state.auditor = hpFlag(hps, "auditor_mode", "Auditor Mode") ?? false;
    state.runName = hpString(hps, "experiment_name", "Experiment Name") ?? "";
    state.lastHash = hpString(hps, "last_hash", "Last Hash") ?? "";
    state.modelAge = hpNumber(hps, "model_age", "Model Age") ?? 0;
    setConn("online");
    bus.emit("hps", hps);
    return true;
  } catch (err) {
    if (isAuthError(err)) {
      setConn("auth");
      if (!declined) void askToken();
      return false;
    }
    failures += 1;
    // One slow answer is not an outage; three in a row are.
    if (failures >= 3 || state.conn === "connecting") setConn(failures >= 3 ? "offline" : state.conn);
    return false;
  }
}

/** The evaluation board's status, or undefined when it cannot be read. */
async function evaluationStatus(): Promise<string | undefined> {
  try {
    return (await api.getEvaluationStatus({}, { timeoutMs: 2500 })).status;
  } catch {
    return undefined;
  }
}

let listening = false;

/** Asks for a token as soon as any call is refused as unauthenticated. Called at load, before
 *  the first calls go out: the heartbeat itself starts later. */
export function listenForAuth(): void {
  if (listening) return;
  listening = true;
  onAuthRequired(() => {
    setConn("auth");
    if (!declined) void askToken();
  });
}

export function startHeartbeat(): void {
  const loop = async () => {
    await beat();
    timer = setTimeout(loop, state.conn === "online" ? BEAT_MS : 2000);
  };
  listenForAuth();
  if (timer === undefined) {
    // The server pauses training before an edit (unless it applies edits live): show the
    // state the edit left at once, not at the next beat, and say why training stopped.
    bus.on("edited", () => {
      const wasTraining = trainingOn(state);
      void beat().then((ok) => {
        if (ok && wasTraining && !trainingOn(state)) {
          toast("Training paused to apply the edit (the server pauses for edits unless started with --edits-live). Resume with ▶ Resume or Space.", "info");
        }
      });
    });
    void loop();
  }
}

export async function askToken(): Promise<void> {
  if (prompting) return;
  prompting = true;
  declined = false;
  const token = await promptText({
    title: "This server needs an access token",
    label: `The server at ${serverAddress} rejected the request as unauthenticated. Paste the token it was started with (it is kept in this browser).`,
    placeholder: "token",
    okLabel: "Connect",
    secret: true,
  });
  prompting = false;
  if (!token) {
    declined = true;
    toast("Without a token the Studio cannot read this server. Click “token needed” at the top to enter one.", "info");
    return;
  }
  saveToken(token);
  if (!(await beat())) {
    toast("That token was not accepted. Use the token the server was started with (--auth-token or GRPC_AUTH_TOKEN; the desktop app shows its own under “Expose on network”).");
  } else bus.emit("view", undefined);
}
