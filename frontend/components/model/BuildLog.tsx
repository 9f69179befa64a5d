"use client";

import { useEffect, useRef, useState } from "react";
import { buildLogUrl } from "@/lib/api/client";

export interface BuildEnd {
  build_id: string;
  state: string;
  reason: string | null;
}

/**
 * The live build log: an EventSource on the build's log stream. `log` events append lines
 * (id = line number, so a reconnect does not repeat them); the `end` event closes the stream
 * and is passed to onEnd. Follows the bottom unless the reader scrolled up.
 */
export function BuildLog({
  projectId,
  buildId,
  onEnd,
}: {
  projectId: string;
  buildId: string | null;
  onEnd?: (end: BuildEnd) => void;
}) {
  const [lines, setLines] = useState<string[]>([]);
  const [status, setStatus] = useState<"connecting" | "streaming" | "done" | "lost">("connecting");
  const box = useRef<HTMLPreElement>(null);
  const follow = useRef(true);
  const lastAutoTop = useRef(0);
  const onEndRef = useRef(onEnd);
  useEffect(() => {
    onEndRef.current = onEnd;
  }, [onEnd]);

  // one instance per build: the parent keys it by build id
  useEffect(() => {
    let lastSeq = 0;
    const source = new EventSource(buildLogUrl(projectId, buildId));
    source.onopen = () => setStatus("streaming");
    source.addEventListener("log", (e) => {
      const ev = e as MessageEvent<string>;
      const seq = Number(ev.lastEventId);
      if (Number.isFinite(seq) && seq > 0) {
        if (seq <= lastSeq) return;
        lastSeq = seq;
      }
      setLines((prev) => [...prev, ev.data]);
    });
    source.addEventListener("end", (e) => {
      source.close();
      setStatus("done");
      try {
        onEndRef.current?.(JSON.parse((e as MessageEvent<string>).data) as BuildEnd);
      } catch {
        /* a malformed end event still ends the stream */
      }
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setStatus((s) => (s === "done" ? s : "lost"));
    };
    return () => source.close();
  }, [projectId, buildId]);

  useEffect(() => {
    const el = box.current;
    if (el && follow.current) {
      el.scrollTop = el.scrollHeight;
      lastAutoTop.current = el.scrollTop;
    }
  }, [lines]);

  return (
    <div>
      <pre
        ref={box}
        role="log"
        aria-label="Build log"
        tabIndex={0}
        onScroll={(e) => {
          // scroll events arrive after more lines may have landed: only a move up is the reader's
          const el = e.currentTarget;
          if (el.scrollHeight - el.scrollTop - el.clientHeight < 40) follow.current = true;
          else if (el.scrollTop < lastAutoTop.current - 4) follow.current = false;
        }}
        className="h-72 overflow-auto whitespace-pre-wrap break-all rounded-md bg-slate-900 p-3 font-mono text-xs leading-5 text-slate-100"
      >
        {lines.length === 0 ? (
          <span className="text-slate-400">
            {status === "lost" ? "The build log is not available." : "Waiting for the build log…"}
          </span>
        ) : (
          lines.join("\n")
        )}
      </pre>
      <p className="mt-1 text-xs text-slate-500" aria-live="polite">
        {status === "streaming" && "Following the build live…"}
        {status === "done" && `${lines.length} line${lines.length === 1 ? "" : "s"}; the build has finished.`}
        {status === "lost" && "Lost the connection to the build log."}
      </p>
    </div>
  );
}
