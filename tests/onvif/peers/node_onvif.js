// Drives the npm `node-onvif` client against one camera and prints what it saw as JSON.
// Usage: node node_onvif.js <device service url> <user> <password>
'use strict';
const onvif = require('node-onvif');

const [xaddr, user, pass] = process.argv.slice(2);

async function main() {
  const device = new onvif.OnvifDevice({ xaddr, user, pass });
  const info = await device.init();
  const profile = device.getCurrentProfile();
  const snapshot = await device.fetchSnapshot();
  const events = device.services.events;
  let eventProperties = null;
  if (events && events.getEventProperties) {
    const result = await events.getEventProperties();
    eventProperties = Object.keys(result.data.GetEventPropertiesResponse.TopicSet || {});
  }
  console.log(JSON.stringify({
    info,
    profiles: device.getProfileList().map((p) => ({ token: p.token, name: p.name,
      encoder: p.video.encoder, snapshot: p.snapshot, rtsp: p.stream.rtsp })),
    current: profile.token,
    snapshot: { type: snapshot.headers['content-type'], bytes: snapshot.body.length,
      jpeg: snapshot.body.slice(0, 2).toString('hex') },
    eventsService: Boolean(events),
    eventProperties,
  }));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
