// Headless Chromium (Debian's chromium, driven by playwright-core) opens
// Meerkat's demo page, logs in over the given transport, chats with an echo
// peer, optionally reloads the page (a BOSH session must be picked up
// again) and chats again, then saves a screenshot. Prints OK on success.
// Usage: node browser.mjs <base-url> <jid> <password> <peer> <websocket|bosh> <screenshot.png> [reload]
import { chromium } from 'playwright-core';

const [base, jid, password, peer, transport, shot, reload] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--ignore-certificate-errors'],
});
let ok = false;
const page = await browser.newPage({ ignoreHTTPSErrors: true });
try {
  page.on('console', (m) => console.log('page:', m.text()));
  page.on('pageerror', (e) => console.log('page error:', e.message));
  page.setDefaultTimeout(20000);
  await page.goto(base + '/');
  await page.fill('#jid', jid);
  await page.fill('#password', password);
  await page.selectOption('#transport', transport);
  await page.click('#login-button');
  await page.waitForFunction(() => window.meerkatDemo && window.meerkatDemo.online);
  console.log('online:', await page.textContent('#whoami'));

  const chat = async (text) => {
    await page.fill('#message', text);
    await page.click('#send-button');
    await page.waitForSelector(`#log .msg.in .body:text-is("echo: ${text}")`);
    console.log('echo received:', text);
  };
  await page.fill('#add-jid', peer);
  await page.press('#add-jid', 'Enter');
  await chat(`hello over ${transport}`);
  if (reload) {
    await page.reload();
    await page.waitForFunction(() => window.meerkatDemo && window.meerkatDemo.online && window.meerkatDemo.restored);
    console.log('resumed:', await page.textContent('#whoami'));
    await chat(`after reload over ${transport}`);
  }
  // The rooms form sends XEP-0045 join presence; with no MUC service the
  // room shows as joining, which the screenshot records too.
  await page.fill('#room-jid', 'lobby@conference.localhost');
  await page.fill('#room-nick', 'web');
  await page.click('#join-button');
  await page.waitForSelector('#rooms li[data-jid="lobby@conference.localhost"]');
  await page.click(`#contacts li[data-jid="${peer}"]`);
  ok = true;
} finally {
  await page.screenshot({ path: shot, fullPage: true }).catch((e) => console.log('screenshot:', e.message));
  await browser.close();
}
console.log(ok ? 'OK' : 'FAILED');
