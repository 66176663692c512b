// Preloaded into the Agents Playground (NODE_OPTIONS=--require): it has no host option and listens on every
// interface, which would let anyone on the network drive the unauthenticated dev-mode bot through it. A listen()
// given a port but no host gets the loopback host instead.
"use strict";
const net = require("net");

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const [port, host] = args;
  if (typeof port === "number" && typeof host !== "string") {
    args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
