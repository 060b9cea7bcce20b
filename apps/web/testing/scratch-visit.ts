import { launchChromium, screenshot } from "./index.ts";

const [url, key, ...paths] = process.argv.slice(2);
const browser = await launchChromium();
const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await ctx.newPage();
page.on("console", (m) => {
  if (m.type() === "error" || m.type() === "warning") console.log("console:", m.type(), m.text().slice(0, 300));
});
page.on("pageerror", (e) => console.log("pageerror:", e.message));
await page.goto(`${url}/login`);
await page.getByLabel("API key").fill(key!);
await page.getByRole("button", { name: "Log in" }).click();
await page.waitForURL((u) => !u.pathname.startsWith("/login"));
for (const p of paths) {
  await page.goto(`${url}${p}`);
  await page.waitForTimeout(2500);
  const name = `scratch-${p.replace(/[^a-z0-9]+/gi, "_")}`;
  await screenshot(page, name);
  console.log("visited", p, "->", page.url());
}
await browser.close();
