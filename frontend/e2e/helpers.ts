import { expect, type Page } from "@playwright/test";
import JSZip from "jszip";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const SHOTS = join(__dirname, "screenshots");
mkdirSync(SHOTS, { recursive: true });

/** Save a full-page screenshot to e2e/screenshots/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const TRANSIENT = /ERR_NETWORK_CHANGED|ERR_ABORTED|ERR_CONNECTION_RESET|ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|frame was detached/;

/**
 * page.goto, retried: Chromium aborts loads in flight (ERR_NETWORK_CHANGED, a blank page)
 * when a container starts or stops and a network interface appears or goes.
 */
export async function visit(page: Page, url: string, attempts = 5): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await page.goto(url, { waitUntil: "domcontentloaded" });
      await expect(page.locator("#main")).toBeVisible({ timeout: 15_000 });
      return;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (i >= attempts || !(TRANSIENT.test(message) || message.includes("#main"))) throw err;
      await page.waitForTimeout(1000 * i);
    }
  }
}

/** page.reload with the same retries as visit(). */
export async function reload(page: Page): Promise<void> {
  await visit(page, page.url());
}

/** A ZIP built in memory from {path: content}. */
export async function zipOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const zip = new JSZip();
  for (const [path, content] of Object.entries(files)) zip.file(path, content);
  return zip.generateAsync({ type: "nodebuffer", compression: "STORE" });
}

export interface Account {
  username: string;
  email: string;
  password: string;
}

export function newAccount(prefix: string): Account {
  const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
  const username = `${prefix}_${stamp}`.slice(0, 32);
  return { username, email: `${username}@example.com`, password: "correct horse battery" };
}

/** Register through the form; the app signs the new user in and goes to `next` or /. */
export async function register(page: Page, account: Account, next?: string): Promise<void> {
  await visit(page, next ? `/auth/register?next=${encodeURIComponent(next)}` : "/auth/register");
  await page.getByLabel("Username").fill(account.username);
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await shot(page, "register");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("button", { name: account.username })).toBeVisible();
}

/**
 * Record every aria-valuenow the upload progress bar shows, from before the upload starts
 * (a small bundle on a local network may finish in a few milliseconds).
 */
export async function watchProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { __progress: number[] }).__progress = seen;
    const record = () => {
      const bar = document.querySelector('[role="progressbar"]');
      const v = bar?.getAttribute("aria-valuenow");
      if (v !== null && v !== undefined) seen.push(Number(v));
    };
    new MutationObserver(record).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["aria-valuenow"],
    });
  });
}

export async function progressSeen(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __progress?: number[] }).__progress ?? []);
}
