"use client";

import { useState } from "react";
import type { FileList as Files } from "@/lib/api/types";
import { formatBytes } from "@/lib/format";

const SHOWN = 30;

export function FileList({ files, appFile }: { files: Files; appFile: string }) {
  const [all, setAll] = useState(false);
  if (files.files.length === 0) return <p className="text-sm text-slate-500">No files.</p>;
  const shown = all ? files.files : files.files.slice(0, SHOWN);
  return (
    <div>
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Files of the bundle</caption>
        <thead>
          <tr className="border-b border-slate-200 text-slate-500">
            <th scope="col" className="py-1 font-medium">Path</th>
            <th scope="col" className="py-1 text-right font-medium">Size</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((f) => (
            <tr key={f.path} className="border-b border-slate-100">
              <td className="break-all py-1 pr-2 font-mono text-xs">
                {f.path}
                {f.path === appFile && (
                  <span className="ml-2 rounded bg-indigo-50 px-1.5 py-0.5 font-sans text-[10px] font-semibold text-indigo-700">entry</span>
                )}
              </td>
              <td className="whitespace-nowrap py-1 text-right text-slate-600">{formatBytes(f.size)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td className="pt-2 text-slate-600">
              {files.files.length} file{files.files.length === 1 ? "" : "s"}
            </td>
            <td className="pt-2 text-right font-medium">{formatBytes(files.total_size)}</td>
          </tr>
        </tfoot>
      </table>
      {files.files.length > SHOWN && (
        <button type="button" className="mt-2 text-sm font-semibold text-indigo-700" onClick={() => setAll((a) => !a)}>
          {all ? "Show fewer" : `Show all ${files.files.length} files`}
        </button>
      )}
    </div>
  );
}
