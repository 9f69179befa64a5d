import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UploadForm } from "@/components/upload/UploadForm";
import { FakeXhr } from "./fakeXhr";

const { push } = vi.hoisted(() => ({ push: vi.fn() }));
vi.mock("next/navigation", () => ({
  useRouter: () => ({ push, replace: vi.fn(), back: vi.fn(), refresh: vi.fn(), prefetch: vi.fn() }),
}));

const ZIP_BYTES = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00]);

function zipFile(name = "bundle.zip"): File {
  return new File([ZIP_BYTES, "rest of the archive"], name, { type: "application/zip" });
}

async function fillRequired(user: ReturnType<typeof userEvent.setup>, file: File) {
  await user.type(screen.getByLabelText(/^Name/), "Sentiment demo");
  await user.upload(screen.getByLabelText("Bundle file (ZIP or RAR)"), file);
}

function submit(user: ReturnType<typeof userEvent.setup>) {
  return user.click(screen.getByRole("button", { name: "Upload and build" }));
}

beforeEach(() => {
  FakeXhr.last = null;
  push.mockReset();
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("UploadForm client-side checks", () => {
  it("prefills the author and lists every missing field without sending anything", async () => {
    const user = userEvent.setup();
    render(<UploadForm defaultAuthor="alice" />);
    expect(screen.getByLabelText(/^Author/)).toHaveValue("alice");

    await user.clear(screen.getByLabelText(/^Author/));
    await submit(user);

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Give your model a name");
    expect(alert).toHaveTextContent("Say who made it");
    expect(alert).toHaveTextContent("Choose a .zip or .rar bundle");
    expect(screen.getByLabelText(/^Name/)).toHaveAttribute("aria-invalid", "true");
    expect(FakeXhr.last).toBeNull();
  });

  it("refuses a file that is not a ZIP or RAR by name", async () => {
    const user = userEvent.setup({ applyAccept: false });
    render(<UploadForm defaultAuthor="alice" />);
    await fillRequired(user, new File([new Uint8Array([0x4d, 0x5a, 0x90, 0x00])], "setup.exe"));
    await submit(user);

    expect(await screen.findByRole("alert")).toHaveTextContent('"setup.exe" is not a .zip or .rar file');
    expect(FakeXhr.last).toBeNull();
  });

  it("refuses a .zip whose first bytes are not a ZIP signature", async () => {
    const user = userEvent.setup();
    render(<UploadForm defaultAuthor="alice" />);
    await fillRequired(user, new File(["just some text"], "notes.zip", { type: "application/zip" }));
    await submit(user);

    expect(await screen.findByRole("alert")).toHaveTextContent("not a valid ZIP archive");
    expect(FakeXhr.last).toBeNull();
  });

  it("accepts a RAR by its Rar! signature", async () => {
    const user = userEvent.setup();
    render(<UploadForm defaultAuthor="alice" />);
    await fillRequired(user, new File([new Uint8Array([0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00])], "b.rar"));
    await submit(user);

    await waitFor(() => expect(FakeXhr.last).not.toBeNull());
  });

  it("refuses a bundle over 500 MB", async () => {
    const user = userEvent.setup();
    render(<UploadForm defaultAuthor="alice" />);
    const big = zipFile("huge.zip");
    Object.defineProperty(big, "size", { value: 600 * 1024 * 1024 });
    await fillRequired(user, big);
    await submit(user);

    expect(await screen.findByRole("alert")).toHaveTextContent("the limit is 500 MB");
    expect(FakeXhr.last).toBeNull();
  });

  it("rejects a GitHub URL that is not a URL and an entry file that is not .py", async () => {
    const user = userEvent.setup();
    render(<UploadForm defaultAuthor="alice" />);
    await fillRequired(user, zipFile());
    await user.type(screen.getByLabelText("GitHub URL"), "github dot com");
    await user.type(screen.getByLabelText("Entry file"), "app.txt");
    await submit(user);

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Enter a full URL");
    expect(alert).toHaveTextContent("ending in .py");
  });
});

describe("UploadForm sending", () => {
  it("sends the fields, shows real upload progress, then opens the new model", async () => {
    const user = userEvent.setup();
    render(<UploadForm defaultAuthor="alice" />);
    await fillRequired(user, zipFile());
    await user.type(screen.getByLabelText("Tags"), "nlp, demo");
    await submit(user);

    await waitFor(() => expect(FakeXhr.last).not.toBeNull());
    const xhr = FakeXhr.last!;
    expect(xhr.method).toBe("POST");
    expect(xhr.url).toBe("/api/projects/upload");
    expect(xhr.body?.get("name")).toBe("Sentiment demo");
    expect(xhr.body?.get("author_name")).toBe("alice");
    expect(xhr.body?.get("tags")).toBe("nlp, demo");
    expect((xhr.body?.get("file") as File).name).toBe("bundle.zip");
    expect(xhr.body?.has("github_url")).toBe(false);

    const bar = screen.getByRole("progressbar");
    expect(bar).toHaveAttribute("aria-valuenow", "0");
    xhr.progress(50, 200);
    await waitFor(() => expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "25"));
    xhr.progress(200, 200);
    await waitFor(() => expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100"));
    expect(screen.getByText(/checking the bundle/i)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Uploading…" })).toBeDisabled();

    xhr.respond(201, { message: "ok", project_id: "0123456789abcdef01234567", project: {} });
    await waitFor(() => expect(push).toHaveBeenCalledWith("/models/0123456789abcdef01234567"));
  });

  it("lists every problem the server found, per file and per field", async () => {
    const user = userEvent.setup();
    render(<UploadForm defaultAuthor="alice" />);
    await fillRequired(user, zipFile());
    await submit(user);
    await waitFor(() => expect(FakeXhr.last).not.toBeNull());

    FakeXhr.last!.respond(422, {
      error: {
        code: "invalid_bundle",
        message: "The bundle has 3 problems",
        details: [
          { file: "requirements.txt", problem: "missing: list the packages your app needs" },
          { file: "tools/setup.exe", problem: "executables are not allowed" },
          { field: "name", problem: "this name is taken" },
        ],
      },
    });

    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText("The upload was refused")).toBeInTheDocument();
    expect(alert).toHaveTextContent("The bundle has 3 problems");
    expect(alert).toHaveTextContent("requirements.txt: missing: list the packages your app needs");
    expect(alert).toHaveTextContent("tools/setup.exe: executables are not allowed");
    // the field problem is also shown next to its input
    expect(screen.getByLabelText(/^Name/)).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText(/^Name/)).toHaveAccessibleDescription("this name is taken");
    expect(screen.queryByRole("progressbar")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Upload and build" })).toBeEnabled();
    expect(push).not.toHaveBeenCalled();
  });

  it("explains a 413 even when the proxy answers without JSON", async () => {
    const user = userEvent.setup();
    render(<UploadForm defaultAuthor="alice" />);
    await fillRequired(user, zipFile());
    await submit(user);
    await waitFor(() => expect(FakeXhr.last).not.toBeNull());

    FakeXhr.last!.respond(413, "<html>Request Entity Too Large</html>");
    expect(await screen.findByRole("alert")).toHaveTextContent("larger than the server accepts");
  });
});
