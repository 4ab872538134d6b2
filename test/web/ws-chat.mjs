// @xmpp/client (npm, nobody here wrote it) logs in over WebSocket, sends a
// message to a peer and waits for the peer's echo. Prints OK on success.
// Usage: node --experimental-websocket ws-chat.mjs <ws-url> <jid> <password> <peer>
import { client, xml } from '@xmpp/client';

const [service, jid, password, peer] = process.argv.slice(2);
const [username, domain] = jid.split('@');
const text = 'hello from node over websocket';
const timer = setTimeout(() => { console.error('timeout'); process.exit(1); }, 30000);

const x = client({ service, domain, username, password, resource: 'node' });
x.on('error', (e) => { console.error('error:', e.message); });
x.on('stanza', async (s) => {
  if (s.is('message') && s.getChildText('body') === 'echo: ' + text) {
    console.log('got echo from', s.attrs.from);
    clearTimeout(timer);
    await x.stop();
    console.log('OK');
    process.exit(0);
  }
});
const addr = await x.start();
console.log('online as', addr.toString());
await x.send(xml('presence'));
await x.send(xml('message', { to: peer, type: 'chat', id: 'n1' }, xml('body', {}, text)));
