import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LaunchPanel } from "@/components/model/LaunchPanel";

const ID = "0123456789abcdef01234567";
const STOPPED = { status: "stopped", demo_url: null, reason: null };

function demo(status: string, extra: Record<string, unknown> = {}) {
  return {
    project_id: ID,
    status,
    demo_url: status === "running" ? "http://localhost:8080/demos/sentiment/" : null,
    reason: null,
    started_at: null,
    launch_seconds: null,
    message: `Demo is ${status}`,
    ...extra,
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

let fetchMock: ReturnType<typeof vi.fn>;
beforeEach(() => {
  fetchMock = vi.fn();
  vi.stubGlobal("fetch", fetchMock);
});
afterEach(() => {
  vi.unstubAllGlobals();
});

function renderPanel(props: Partial<React.ComponentProps<typeof LaunchPanel>> = {}) {
  return render(
    <LaunchPanel projectId={ID} projectName="Sentiment" initial={STOPPED} canLaunch isOwner={false} {...props} />,
  );
}

describe("LaunchPanel", () => {
  it("goes ready → launching (with a timer) → running, and shows the demo and the launch time", async () => {
    let answer!: (r: Response) => void;
    fetchMock.mockImplementation((url: string, init: RequestInit) => {
      if (url === `/api/demo/${ID}/launch` && init.method === "POST") {
        return new Promise<Response>((resolve) => (answer = resolve));
      }
      return Promise.resolve(json(200, demo("starting")));
    });
    const user = userEvent.setup();
    renderPanel();

    expect(screen.getByText("Ready to launch.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Launch demo" }));

    expect(screen.getByRole("button", { name: /Launching/ })).toBeDisabled();
    const timer = screen.getByTestId("launch-elapsed");
    const first = Number.parseFloat(timer.textContent ?? "0");
    await waitFor(() => expect(Number.parseFloat(screen.getByTestId("launch-elapsed").textContent ?? "0")).toBeGreaterThan(first));
    expect(screen.queryByTitle("Demo of Sentiment")).not.toBeInTheDocument();

    await act(async () => answer(json(200, demo("running", { launch_seconds: 4.23 }))));

    const frame = await screen.findByTitle("Demo of Sentiment");
    expect(frame.tagName).toBe("IFRAME");
    expect(frame).toHaveAttribute("src", "http://localhost:8080/demos/sentiment/");
    expect(screen.getByText(/launched in 4\.2 s/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: /Open in new tab/ })).toHaveAttribute("href", "http://localhost:8080/demos/sentiment/");
    expect(screen.queryByRole("button", { name: "Stop demo" })).not.toBeInTheDocument();
  });

  it("shows the reason when the launch fails, and offers to try again", async () => {
    fetchMock.mockResolvedValue(
      json(502, { error: { code: "launch_failed", message: "The app crashed on start: ModuleNotFoundError: torch" } }),
    );
    const user = userEvent.setup();
    renderPanel();
    await user.click(screen.getByRole("button", { name: "Launch demo" }));

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The demo could not start");
    expect(alert).toHaveTextContent("ModuleNotFoundError: torch");
    expect(screen.getByRole("button", { name: "Try again" })).toBeEnabled();
    expect(screen.queryByTitle("Demo of Sentiment")).not.toBeInTheDocument();
  });

  it("shows the reason when the demo answers with an error state", async () => {
    fetchMock.mockResolvedValue(json(200, demo("error", { reason: "Out of memory (limit 2 GB)" })));
    const user = userEvent.setup();
    renderPanel();
    await user.click(screen.getByRole("button", { name: "Launch demo" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Out of memory (limit 2 GB)");
  });

  it("keeps polling while the demo is starting, then shows it running", async () => {
    const statuses = [demo("starting"), demo("running", { launch_seconds: 2 })];
    fetchMock.mockImplementation((url: string) =>
      Promise.resolve(
        url.endsWith("/launch") ? json(200, demo("starting")) : json(200, statuses.shift() ?? demo("running")),
      ),
    );
    const user = userEvent.setup();
    renderPanel();
    await user.click(screen.getByRole("button", { name: "Launch demo" }));

    expect(await screen.findByTitle("Demo of Sentiment", {}, { timeout: 5000 })).toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledWith(`/api/demo/${ID}/status`, expect.anything());
  });

  it("cannot launch before the build is ready", () => {
    renderPanel({ canLaunch: false });
    expect(screen.getByRole("button", { name: "Launch demo" })).toBeDisabled();
    expect(screen.getByText(/once the build is ready/)).toBeInTheDocument();
  });

  it("lets the owner stop a running demo", async () => {
    fetchMock.mockImplementation((url: string) =>
      Promise.resolve(
        url.endsWith("/stop") ? json(200, demo("stopped")) : json(200, demo("running", { launch_seconds: 2 })),
      ),
    );
    const user = userEvent.setup();
    renderPanel({ isOwner: true, initial: { status: "running", demo_url: "/demos/sentiment/", reason: null } });
    expect(screen.getByTitle("Demo of Sentiment")).toBeInTheDocument();
    // opened on a running demo, it still says how long the launch took
    expect(await screen.findByText(/launched in 2\.0 s/)).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Stop demo" }));

    expect(await screen.findByRole("button", { name: "Launch demo" })).toBeEnabled();
    expect(screen.queryByTitle("Demo of Sentiment")).not.toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledWith(`/api/demo/${ID}/stop`, expect.objectContaining({ method: "POST" }));
  });
});

describe("LaunchPanel when the connection drops mid-launch", () => {
  it("keeps checking the demo's status instead of reporting a failure", async () => {
    fetchMock.mockImplementation((url: string) =>
      url.endsWith("/launch")
        ? Promise.reject(new TypeError("Failed to fetch"))
        : Promise.resolve(json(200, demo("running", { launch_seconds: 3.5 }))),
    );
    const user = userEvent.setup();
    renderPanel();
    await user.click(screen.getByRole("button", { name: "Launch demo" }));

    expect(await screen.findByText(/Lost the connection while launching/)).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(await screen.findByTitle("Demo of Sentiment", {}, { timeout: 5000 })).toBeInTheDocument();
  });
});
