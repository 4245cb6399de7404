// A Modbus TCP server built on npm `modbus-serial` (its ServerTCP), serving the registers
// of register_layout.py (the same as libmodbus_server.c), unit id 1. Each table holds
// addresses 0-15; a read beyond them is refused with exception 2 (illegal data address).
// Usage: node modbus_serial_server.js PORT; prints `ready` once it listens.
"use strict";
const ModbusRTU = require("modbus-serial");

const TABLE_SIZE = 16;
const pi = Buffer.alloc(4);
pi.writeFloatBE(3.14159);
const big = Buffer.alloc(4);
big.writeUInt32BE(3000000123);
const holding = new Array(TABLE_SIZE).fill(0);
holding[0] = pi.readUInt16BE(0);
holding[1] = pi.readUInt16BE(2);
holding[2] = pi.readUInt16BE(2);
holding[3] = pi.readUInt16BE(0);
holding[8] = big.readUInt16BE(0);
holding[9] = big.readUInt16BE(2);
holding[10] = 0x10000 - 1234;
const input = [100, 200, 300, 400].concat(new Array(TABLE_SIZE - 4).fill(0));
const discrete = [1, 0, 1, 1, 0, 0, 0, 1].map(Boolean)
    .concat(new Array(TABLE_SIZE - 8).fill(false));

function served(table) {
    return (address) => {
        if (address >= table.length) {
            const error = new Error(`address ${address} is not served`);
            error.modbusErrorCode = 0x02;
            throw error;
        }
        return table[address];
    };
}

const vector = {
    getHoldingRegister: served(holding),
    getInputRegister: served(input),
    getDiscreteInput: served(discrete),
    getCoil: served(new Array(TABLE_SIZE).fill(false)),
};

const server = new ModbusRTU.ServerTCP(vector, {
    host: "127.0.0.1", port: Number(process.argv[2]), unitID: 1,
});
server.on("initialized", () => console.log("ready"));
server.on("serverError", (error) => {
    console.error(error.message);
    process.exit(1);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
