"use client";

import { useId, useState } from "react";
import { formatBytes } from "@/lib/format";

/** A drag-and-drop area around an ordinary (keyboard-reachable) file input. */
export function DropZone({
  file,
  onFile,
  disabled,
  error,
}: {
  file: File | null;
  onFile: (file: File | null) => void;
  disabled?: boolean;
  error?: string;
}) {
  const id = useId();
  const [over, setOver] = useState(false);
  return (
    <div
      data-testid="dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        if (!disabled) setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        if (!disabled && e.dataTransfer.files[0]) onFile(e.dataTransfer.files[0]);
      }}
      className={`rounded-lg border-2 border-dashed p-6 text-center transition ${
        over ? "border-indigo-500 bg-indigo-50" : error ? "border-red-400 bg-red-50/40" : "border-slate-300 bg-white"
      }`}
    >
      <p className="font-medium text-slate-800">Drag your bundle here, or choose it below</p>
      <p className="mt-1 text-sm text-slate-600">A .zip or .rar up to 500 MB with app.py (or main.py) and requirements.txt</p>
      <label htmlFor={id} className="label mt-4">
        Bundle file (ZIP or RAR)
      </label>
      <input
        id={id}
        name="file"
        type="file"
        accept=".zip,.rar,application/zip,application/x-rar-compressed,application/vnd.rar"
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => onFile(e.target.files?.[0] ?? null)}
        className="mx-auto mt-2 block w-full max-w-sm text-sm file:mr-3 file:rounded-md file:border-0 file:bg-indigo-600 file:px-3 file:py-2 file:font-semibold file:text-white"
      />
      {file && (
        <p className="mt-3 text-sm text-slate-700">
          Selected: <span className="font-mono">{file.name}</span> ({formatBytes(file.size)})
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
