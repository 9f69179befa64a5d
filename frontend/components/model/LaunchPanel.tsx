"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { demoStatus, launchDemo, stopDemo } from "@/lib/api/client";
import { ApiError, messageOf } from "@/lib/api/errors";
import type { Demo } from "@/lib/api/types";
import { formatSeconds } from "@/lib/format";

type Phase =
  | { kind: "idle" }
  | { kind: "launching"; since: number }
  | { kind: "running"; url: string; seconds: number | null }
  | { kind: "stopping" }
  | { kind: "error"; reason: string };

const POLL_MS = 1500;
const GIVE_UP_MS = 5 * 60 * 1000;

export interface DemoSnapshot {
  status: string;
  demo_url: string | null;
  reason: string | null;
}

function phaseOf(demo: DemoSnapshot, seconds: number | null = null): Phase {
  if (demo.status === "running" && demo.demo_url) return { kind: "running", url: demo.demo_url, seconds };
  if (demo.status === "starting") return { kind: "launching", since: Date.now() };
  if (demo.status === "stopping") return { kind: "stopping" };
  if (demo.status === "error") return { kind: "error", reason: demo.reason ?? "The demo stopped with an error" };
  return { kind: "idle" };
}

function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(t);
  }, []);
  return <span data-testid="launch-elapsed">{Math.max(0, (now - since) / 1000).toFixed(1)} s</span>;
}

/**
 * Launch / running / stop of one demo. States: ready → launching (elapsed timer) → running
 * (how long the launch took, the demo in an iframe) or error (with the reason).
 */
export function LaunchPanel({
  projectId,
  projectName,
  initial,
  canLaunch,
  notReadyText = "The demo can be launched once the build is ready.",
  isOwner,
  onChange,
}: {
  projectId: string;
  projectName: string;
  initial: DemoSnapshot;
  canLaunch: boolean;
  notReadyText?: string;
  isOwner: boolean;
  onChange?: () => void;
}) {
  const [phase, setPhase] = useState<Phase>(() => phaseOf(initial));
  const [stopError, setStopError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const settle = useCallback((demo: Demo) => {
    if (alive.current) setPhase(phaseOf(demo, demo.launch_seconds ?? null));
  }, []);

  // Opened on a running demo: ask its status once for how long its launch took.
  const initiallyRunning = useRef(initial.status === "running");
  useEffect(() => {
    if (!initiallyRunning.current) return;
    const ctl = new AbortController();
    demoStatus(projectId, ctl.signal)
      .then((demo) => {
        if (demo.status === "running") settle(demo);
      })
      .catch(() => undefined);
    return () => ctl.abort();
  }, [projectId, settle]);

  // While the demo is starting (launch answered "starting", or the page opened mid-launch), poll.
  const launching = phase.kind === "launching";
  const waitingForAnswer = useRef(false);
  useEffect(() => {
    if (!launching) return;
    const started = Date.now();
    const timer = setInterval(async () => {
      if (waitingForAnswer.current) return;
      try {
        const demo = await demoStatus(projectId);
        if (demo.status !== "starting") settle(demo);
      } catch {
        /* keep polling; the launch call reports its own failure */
      }
      if (Date.now() - started > GIVE_UP_MS && alive.current) {
        setPhase({ kind: "error", reason: "The demo did not start in time" });
      }
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [launching, projectId, settle]);

  async function launch() {
    setStopError(null);
    setNote(null);
    setPhase({ kind: "launching", since: Date.now() });
    waitingForAnswer.current = true;
    try {
      const demo = await launchDemo(projectId);
      waitingForAnswer.current = false;
      if (demo.status === "error") {
        if (alive.current) setPhase({ kind: "error", reason: demo.reason ?? demo.message });
      } else if (demo.status !== "starting") {
        settle(demo);
      }
      onChange?.();
    } catch (err) {
      waitingForAnswer.current = false;
      // The answer was lost (e.g. the browser's network changed as the container started);
      // the launch goes on server-side, so keep polling its status instead of failing.
      if (err instanceof ApiError && err.code === "network_error") {
        if (alive.current) setNote("Lost the connection while launching; checking the demo's status…");
        return;
      }
      if (alive.current) setPhase({ kind: "error", reason: messageOf(err) });
    }
  }

  async function stop() {
    setStopError(null);
    setPhase({ kind: "stopping" });
    try {
      settle(await stopDemo(projectId));
      onChange?.();
    } catch (err) {
      setStopError(messageOf(err));
      setPhase(phaseOf({ status: "running", demo_url: phase.kind === "running" ? phase.url : null, reason: null }));
    }
  }

  return (
    <section aria-labelledby="demo-heading" className="card">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="demo-heading" className="text-xl font-semibold">
          Live demo
        </h2>
        <div className="flex flex-wrap items-center gap-2">
          {(phase.kind === "idle" || phase.kind === "error") && (
            <button type="button" className="btn-primary" onClick={launch} disabled={!canLaunch}>
              {phase.kind === "error" ? "Try again" : "Launch demo"}
            </button>
          )}
          {phase.kind === "launching" && (
            <button type="button" className="btn-primary" disabled aria-describedby="launch-status">
              <span aria-hidden="true" className="h-4 w-4 animate-spin rounded-full border-2 border-white/50 border-t-white" />
              Launching…
            </button>
          )}
          {phase.kind === "stopping" && (
            <button type="button" className="btn-secondary" disabled>
              Stopping…
            </button>
          )}
          {phase.kind === "running" && isOwner && (
            <button type="button" className="btn-secondary" onClick={stop}>
              Stop demo
            </button>
          )}
        </div>
      </div>

      <div className="mt-3" aria-live="polite" id="launch-status" role="status">
        {phase.kind === "idle" && (
          <p className="text-sm text-slate-600">{canLaunch ? "Ready to launch." : notReadyText}</p>
        )}
        {phase.kind === "launching" && (
          <p className="text-sm text-slate-700">
            Starting the container and waiting for the app to answer… <Elapsed since={phase.since} />
            {note && <span className="block text-amber-800">{note}</span>}
          </p>
        )}
        {phase.kind === "running" && (
          <p className="text-sm text-emerald-800">
            Running
            {phase.seconds !== null && <> — launched in {formatSeconds(phase.seconds)}</>}
          </p>
        )}
        {phase.kind === "stopping" && <p className="text-sm text-slate-700">Stopping the demo…</p>}
      </div>
      {phase.kind === "error" && (
        <div role="alert" className="mt-3 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800">
          <p className="font-semibold">The demo could not start</p>
          <p>{phase.reason}</p>
        </div>
      )}
      {stopError && (
        <p role="alert" className="mt-3 text-sm text-red-700">
          Could not stop the demo: {stopError}
        </p>
      )}

      {phase.kind === "running" && (
        <div className="mt-4">
          <div className="mb-2 flex justify-end">
            <a href={phase.url} target="_blank" rel="noopener noreferrer" className="text-sm font-semibold text-indigo-700 hover:text-indigo-900">
              Open in new tab ↗
            </a>
          </div>
          <iframe
            src={phase.url}
            title={`Demo of ${projectName}`}
            className="h-[75vh] min-h-[420px] w-full rounded-md border border-slate-200 bg-white"
            allow="clipboard-write; fullscreen"
          />
        </div>
      )}
    </section>
  );
}
