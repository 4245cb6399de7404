// Runs npm `onvif`'s WS-Discovery probe on loopback and prints what answered as JSON.
// Its Discovery.probe() always sends to 239.255.255.250:3702 from the default interface; so
// that a test meets neither a real camera nor another test, the datagrams go to <port> on
// the loopback interface instead (the messages themselves are the library's own).
// Usage: node agsh_discovery.js <port> [<timeout ms>]
'use strict';
const dgram = require('dgram');

const port = Number(process.argv[2]);
const timeout = Number(process.argv[3] || 2000);
const createSocket = dgram.createSocket;
dgram.createSocket = function (...args) {
  const socket = createSocket.apply(this, args);
  const send = socket.send;
  socket.send = function (msg, offset, length, toPort, address, callback) {
    socket.setMulticastInterface('127.0.0.1');
    return send.call(this, msg, offset, length, toPort === 3702 ? port : toPort, address,
      callback);
  };
  return socket;
};

const { Discovery } = require('onvif');

const errors = [];
Discovery.on('error', (err) => errors.push(String(err)));
Discovery.probe({ timeout, resolve: false }, (err, found) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  const devices = found.map((data) => {
    const match = data.probeMatches.probeMatch;
    return { address: match.endpointReference.address, xaddrs: match.XAddrs,
      scopes: match.scopes, types: match.types };
  });
  console.log(JSON.stringify({ devices, errors }));
});
