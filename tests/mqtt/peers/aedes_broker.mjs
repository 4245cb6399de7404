// The npm `aedes` MQTT broker on 127.0.0.1:PORT with its default in-memory persistence:
// persistent sessions and queued messages live as long as the process, and are lost when
// it is restarted (as a broker without persistence loses them).
// Usage: node aedes_broker.mjs PORT; prints `ready` once it listens.
import net from "node:net";
import { Aedes } from "aedes";

const port = Number(process.argv[2]);
const broker = await Aedes.createBroker();
const server = net.createServer(broker.handle);
server.on("error", (error) => {
    console.error(error.message);
    process.exit(1);
});
server.listen(port, "127.0.0.1", () => console.log("ready"));
process.on("SIGTERM", () => {
    server.close();
    broker.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
});
