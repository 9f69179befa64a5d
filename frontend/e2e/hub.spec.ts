import { expect, test, type Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { newAccount, progressSeen, register, reload, shot, visit, watchProgress, zipOf } from "./helpers";

const BUILD_TIMEOUT = Number(process.env.E2E_BUILD_TIMEOUT_MS ?? 6 * 60 * 1000);
const APP_TEXT = "Hello from the E2E test";

/** Wait for the build to finish; fail with the page's reason when it failed. */
async function waitForBuild(page: Page): Promise<void> {
  const state = page.getByTestId("build-state");
  await expect
    .poll(async () => ((await state.count()) ? (await state.innerText()).trim() : ""), {
      timeout: BUILD_TIMEOUT,
      intervals: [2000],
      message: "the build did not finish in time",
    })
    .toMatch(/^(Ready|Build failed)$/);
  if ((await state.innerText()).trim() !== "Ready") {
    const reason = await page.getByRole("alert").filter({ hasText: "The build failed" }).allInnerTexts();
    const log = await page.getByRole("log", { name: "Build log" }).innerText();
    throw new Error(`the build failed: ${reason.join(" | ")}\n--- log tail ---\n${log.split("\n").slice(-30).join("\n")}`);
  }
}

/** Launch (or find running) and wait until the Streamlit app's own text shows in the iframe. */
async function launchAndSeeApp(page: Page, name: string): Promise<void> {
  const frame = page.frameLocator(`iframe[title="Demo of ${name}"]`);
  const demo = page.getByTitle(`Demo of ${name}`);
  const failure = page.getByRole("alert").filter({ hasText: "The demo could not start" });
  for (let attempt = 1; attempt <= 3; attempt++) {
    const launchButton = page.getByRole("button", { name: /^(Launch demo|Try again)$/ });
    if (await launchButton.isVisible()) await launchButton.click();
    // launch returns once the demo answers through the proxy; the elapsed timer shows meanwhile
    await expect(demo.or(failure)).toBeVisible({ timeout: 180_000 });
    if (await demo.isVisible()) {
      try {
        await expect(frame.getByText(APP_TEXT)).toBeVisible({ timeout: 60_000 });
        return;
      } catch (err) {
        if (attempt === 3) throw err;
      }
    } else if (attempt === 3) {
      throw new Error(`launch failed: ${await failure.innerText()}`);
    }
    // a load aborted by a network change (container start): settle, then reload the page
    await page.waitForTimeout(3000);
    await reload(page);
  }
}

test("a creator registers, uploads, builds, launches, stops, finds and deletes a model", async ({ page }) => {
  const account = newAccount("e2e");
  const name = `E2E Hello ${account.username.slice(4)}`;

  await visit(page, "/");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await shot(page, "landing");

  // upload is for signed-in users only
  await visit(page, "/upload");
  await expect(page).toHaveURL(/\/auth\/login\?next=%2Fupload/);
  await shot(page, "login");

  await register(page, account, "/upload");
  await expect(page).toHaveURL(/\/upload$/);
  await expect(page.getByLabel(/^Author/)).toHaveValue(account.username);

  const bundle = await zipOf({
    "app.py": `import streamlit as st\nst.title("${APP_TEXT}")\n`,
    "requirements.txt": "",
    // incompressible weights, so the upload takes long enough for the progress bar to move
    "model.bin": randomBytes(4 * 1024 * 1024),
  });
  await page.getByLabel(/^Name/).fill(name);
  await page.getByLabel("Description").fill("A tiny Streamlit app uploaded by the end-to-end test.");
  await page.getByLabel("Tags").fill("e2e, demo");
  await page.getByLabel("Bundle file (ZIP or RAR)").setInputFiles({ name: "hello.zip", mimeType: "application/zip", buffer: bundle });
  await expect(page.getByText("Selected: hello.zip")).toBeVisible();
  await shot(page, "upload");

  await watchProgress(page);
  await page.getByRole("button", { name: "Upload and build" }).click();
  const uploadError = page.getByRole("alert").filter({ hasText: /The upload (was refused|failed)/ });
  await expect(page.getByRole("heading", { level: 1, name }).or(uploadError)).toBeVisible({ timeout: 120_000 });
  if (await uploadError.isVisible()) throw new Error(`upload failed: ${await uploadError.innerText()}`);
  await expect(page).toHaveURL(/\/models\/[0-9a-f]{24}$/);
  const seen = await progressSeen(page);
  expect(seen.length, "the progress bar was shown").toBeGreaterThan(0);
  expect(Math.max(...seen), "the progress bar reached 100%").toBe(100);
  const modelUrl = new URL(page.url()).pathname;

  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.getByRole("cell", { name: /model\.bin/ })).toBeVisible();
  // the live build log fills in
  const log = page.getByRole("log", { name: "Build log" });
  await expect(log).not.toHaveText(/Waiting for the build log|^\s*$/, { timeout: 120_000 });
  await shot(page, "model-building");

  await waitForBuild(page);
  // the log follows its end
  await expect
    .poll(() => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight), { message: "the build log is scrolled to its end" })
    .toBeLessThan(50);
  await expect(page.getByRole("button", { name: "Launch demo" })).toBeEnabled();
  // what the build resolved: entry file, Streamlit version, the first-run smoke test
  const buildFacts = page.locator("section[aria-labelledby=build-heading]");
  await expect(buildFacts).toContainText(/Streamlit\s*1\.67\.\d/);
  await expect(buildFacts).toContainText(/Smoke test\s*passed/);
  await expect(page.getByText("Entry file")).toBeVisible();
  await shot(page, "model-ready");

  await launchAndSeeApp(page, name);
  await expect(page.locator("#launch-status")).toHaveText(/^Running — launched in [\d.]+ (s|min)/);
  await expect(page.getByRole("link", { name: /Open in new tab/ })).toHaveAttribute("href", /\/demos\/[a-z0-9-]+\/$/);
  await shot(page, "model-running");

  await page.getByRole("button", { name: "Stop demo" }).click();
  await expect(page.getByRole("button", { name: "Launch demo" })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTitle(`Demo of ${name}`)).toHaveCount(0);
  await page.waitForTimeout(2000); // let the network settle after the container stops
  await shot(page, "model-stopped");
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, "model-phone");
  await page.setViewportSize({ width: 1280, height: 900 });

  await visit(page, `/gallery?search=${encodeURIComponent(name)}`);
  await expect(page.getByRole("heading", { level: 3, name })).toBeVisible();
  await expect(page.getByRole("link", { name: `View details of ${name}` })).toHaveAttribute("href", modelUrl);
  await shot(page, "gallery");

  await visit(page, "/my-projects");
  await expect(page.getByRole("link", { name, exact: true })).toBeVisible();
  await shot(page, "my-projects");

  await visit(page, modelUrl);
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await shot(page, "delete-confirm");
  await dialog.getByRole("button", { name: "Delete for good" }).click();
  await expect(page).toHaveURL(/\/my-projects$/, { timeout: 60_000 });
  await expect(page.getByText("You have no projects yet")).toBeVisible();
  await shot(page, "my-projects-empty");

  await visit(page, modelUrl);
  await expect(page.getByText("Model not found")).toBeVisible();
});

test("a bad bundle is refused with every problem listed", async ({ page }) => {
  const account = newAccount("e2ebad");
  await register(page, account, "/upload");
  await expect(page).toHaveURL(/\/upload$/);

  const bundle = await zipOf({
    "app.py": 'import streamlit as st\nst.write("hi")\n',
    "tool.exe": Buffer.concat([Buffer.from("MZ"), Buffer.alloc(126)]),
  });
  await page.getByLabel(/^Name/).fill(`Bad bundle ${account.username.slice(7)}`);
  await page.getByLabel("Bundle file (ZIP or RAR)").setInputFiles({ name: "bad.zip", mimeType: "application/zip", buffer: bundle });
  await page.getByRole("button", { name: "Upload and build" }).click();

  const alert = page.getByRole("alert").filter({ hasText: "The upload was refused" });
  await expect(alert).toBeVisible({ timeout: 60_000 });
  await expect(alert).toContainText("requirements.txt");
  await expect(alert).toContainText("tool.exe");
  await expect(page).toHaveURL(/\/upload$/);
  await shot(page, "upload-refused");

  // and a file that is not an archive never leaves the browser
  await page.getByLabel("Bundle file (ZIP or RAR)").setInputFiles({ name: "notes.zip", mimeType: "application/zip", buffer: Buffer.from("plain text") });
  await page.getByRole("button", { name: "Upload and build" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "not a valid ZIP archive" })).toBeVisible();
  await shot(page, "upload-client-check");
});

test("the gallery keeps its query in the URL and works at phone width", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await visit(page, "/gallery?sort=popular&search=nothing-matches-this-e2e-query");
  await expect(page.getByLabel("Search", { exact: true })).toHaveValue("nothing-matches-this-e2e-query");
  await expect(page.getByLabel("Sort by")).toHaveValue("popular");
  await expect(page.getByText("No models match")).toBeVisible();
  await shot(page, "gallery-phone-empty");

  await page.getByLabel("Sort by").selectOption("name");
  await expect(page).toHaveURL(/sort=name/);
  await expect(page).toHaveURL(/search=nothing-matches-this-e2e-query/);

  await page.getByRole("button", { name: "Open menu" }).click();
  await expect(page.locator("#mobile-menu").getByRole("link", { name: "Gallery" })).toBeVisible();
  await shot(page, "nav-phone");
});
