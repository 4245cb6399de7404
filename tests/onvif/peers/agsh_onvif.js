// Drives the npm `onvif` client against one camera and prints what it saw as JSON.
// Usage: node agsh_onvif.js <host> <port> <device service path> <user> <password> <control url>
'use strict';
const http = require('http');
const { Cam } = require('onvif');

const [host, port, path, username, password, controlUrl] = process.argv.slice(2);

function call(fn, ...args) {
  return new Promise((resolve, reject) => {
    fn(...args, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

function control(body) {
  return new Promise((resolve, reject) => {
    const req = http.request(controlUrl, { method: 'POST',
      headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function main() {
  const cam = await new Promise((resolve, reject) => {
    const c = new Cam({ hostname: host, port: Number(port), path, username, password,
      timeout: 5000, preserveAddress: true }, (err) => (err ? reject(err) : resolve(c)));
  });
  const info = await call(cam.getDeviceInformation.bind(cam));
  const snapshot = await call(cam.getSnapshotUri.bind(cam), { profileToken: cam.profiles[0].$.token });
  const stream = await call(cam.getStreamUri.bind(cam), { protocol: 'RTSP' });
  const properties = await call(cam.getEventProperties.bind(cam));
  await call(cam.createPullPointSubscription.bind(cam));
  const initial = await call(cam.pullMessages.bind(cam), { timeout: 2000, messageLimit: 10 });
  await control({ people: 2 });
  const after = await call(cam.pullMessages.bind(cam), { timeout: 2000, messageLimit: 10 });
  await call(cam.renew.bind(cam), {});
  await call(cam.unsubscribe.bind(cam));
  const topics = (m) => [].concat((m && m.notificationMessage) || [])
    .map((n) => n.topic._);
  const items = (m) => [].concat((m && m.notificationMessage) || [])
    .map((n) => [].concat(n.message.message.data.simpleItem).map((i) => i.$));
  console.log(JSON.stringify({
    info,
    profiles: cam.profiles.map((p) => p.$.token),
    videoSources: [].concat(cam.videoSources).map((v) => v.$.token),
    snapshotUri: snapshot.uri,
    streamUri: stream.uri,
    eventTopics: Object.keys(properties.topicSet || {}),
    initialTopics: topics(initial),
    afterTopics: topics(after),
    afterItems: items(after),
  }));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
